import { cpSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.js';
import { decide } from '../../src/engine/decide.js';
import { emptyState } from '../../src/db/conversations.js';
import { loadPlaybooks } from '../../src/playbook/load.js';
import { DEFAULT_PLAYBOOKS } from '../helpers/service.js';

const SHEET = [
  '问题,关键词,回答,回答2',
  '能机洗吗,机洗、洗衣机、水洗,"亲，可以机洗的～ 建议冷水、轻柔模式。",亲，支持机洗哦，冷水轻柔档最保护衣服～',
  '"可以开专票吗',
  '（增值税）",专票、增值税专用发票,亲，可以开增值税专用发票，下单后把开票信息发给客服即可。',
  '',
].join('\n');

/** `xiaoer faq import`: a shop's FAQ sheet into a draft playbook folder, checked before it stays. */
describe('xiaoer faq import', () => {
  let dir = '';
  let draft = '';
  let out = '';
  let err = '';
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'xiaoer-faq-'));
    draft = join(dir, 'playbooks-draft');
    cpSync(DEFAULT_PLAYBOOKS, draft, { recursive: true });
    out = '';
    err = '';
    vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((out += String(s)), true));
    vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((err += String(s)), true));
  });
  afterEach(() => vi.restoreAllMocks());

  const sheet = (name: string, text: string, encoding: 'utf8' | 'gb18030' = 'utf8') => {
    const file = join(dir, name);
    writeFileSync(file, encoding === 'utf8' ? text : Buffer.from(new TextEncoderGb().encode(text)));
    return file;
  };
  const answer = (text: string) => {
    const { playbook } = loadPlaybooks(draft);
    return decide({
      shop: { id: 'acme', name: '阿克米', timezone: 'Asia/Shanghai', businessHours: { from: '00:00', to: '00:00' } }, playbook: playbook!,
      message: { text, kind: 'text', channel: 'local' }, customer: { name: null, firstSeenAt: 0, tags: [], tier: null },
      conversation: { isNew: false }, state: emptyState(), now: new Date('2026-11-27T10:00:00+08:00'), random: () => 0,
    }).replies.map((r) => r.text);
  };

  it("turns the sheet into a playbook the bot answers from, the shop's answer before the defaults'", async () => {
    expect(await main(['faq', 'import', sheet('faq.csv', SHEET), '--out', join(draft, 'faq.yml')])).toBe(0);
    expect(out).toMatch(/imported 2 questions/);
    expect(out).toMatch(/warning: .*phrase "专票" is also a phrase of intent "问答：可以开专票吗 （增值税）"/); // the default invoice answer shares it
    expect(out).toMatch(/npx xiaoer replay --shop <shop> --draft .*playbooks-draft/);
    expect(answer('这个能用洗衣机洗吗')).toEqual(['亲，可以机洗的～ 建议冷水、轻柔模式。']);
    expect(answer('能开专票吗')).toEqual(['亲，可以开增值税专用发票，下单后把开票信息发给客服即可。']);
    expect(readFileSync(join(draft, 'faq.yml'), 'utf8')).toMatch(/phrases: \[ 机洗, 洗衣机, 水洗 \]/);
  });

  it("reads Excel's GBK CSV as well", async () => {
    expect(await main(['faq', 'import', sheet('faq-gbk.csv', SHEET, 'gb18030'), '--out', join(draft, 'faq.yml')])).toBe(0);
    expect(answer('能机洗吗')).toEqual(['亲，可以机洗的～ 建议冷水、轻柔模式。']);
  });

  it('names every problem by line and writes nothing; never replaces a file unless told', async () => {
    const bad = sheet('bad.csv', ['问题,关键词,回答', '能机洗吗,,亲，可以的', '包邮吗,包邮,没办法哦亲', '能机洗吗,机洗,可以', ''].join('\n'));
    expect(await main(['faq', 'import', bad, '--out', join(draft, 'faq.yml')])).toBe(1);
    expect(err).toMatch(/bad\.csv:2:1: error: 关键词: empty: write the words customers use for "能机洗吗"/);
    expect(err).toMatch(/bad\.csv:3:1: error: 回答: contains "没办法"/);
    expect(err).toMatch(/bad\.csv:4:1: error: 问题: the same question as line 2/);
    expect(existsSync(join(draft, 'faq.yml'))).toBe(false);
    err = '';
    expect(await main(['faq', 'import', sheet('nohead.csv', 'Q,A\nx,y\n'), '--out', join(draft, 'faq.yml')])).toBe(1);
    expect(err).toMatch(/nohead\.csv:1:1: error: header: the first row names the columns 问题, 关键词 and 回答/);

    expect(await main(['faq', 'import', sheet('faq.csv', SHEET), '--out', join(draft, 'faq.yml')])).toBe(0);
    err = '';
    expect(await main(['faq', 'import', sheet('faq.csv', SHEET), '--out', join(draft, 'faq.yml')])).toBe(1);
    expect(err).toMatch(/faq\.yml exists: choose another file, or --force/);
    // The same questions again, in a second file: the folder would not load, so nothing stays.
    err = '';
    expect(await main(['faq', 'import', sheet('faq.csv', SHEET), '--out', join(draft, 'faq-again.yml')])).toBe(1);
    expect(err).toMatch(/with faq-again\.yml the folder .* would not load:\n.*faq.*\.yml:\d+:\d+: error: .*already defined/);
    expect(existsSync(join(draft, 'faq-again.yml'))).toBe(false);
    expect(await main(['faq', 'import', sheet('faq.csv', SHEET.replace('冷水、轻柔模式', '30 度以下')), '--out', join(draft, 'faq.yml'), '--force'])).toBe(0);
    expect(answer('能机洗吗')).toEqual(['亲，可以机洗的～ 建议30 度以下。']);
  });
});

/** GB18030 encoding of the test sheet's characters, as Excel saves a Chinese CSV (Node can decode it but not encode it). */
class TextEncoderGb {
  encode(text: string): Uint8Array {
    const decoder = new TextDecoder('gb18030');
    const table = new Map<string, number[]>();
    // Build the inverse of the decoder for the characters used, by scanning the two-byte range.
    const wanted = new Set([...text].filter((c) => c.charCodeAt(0) > 0x7f));
    for (let hi = 0x81; hi <= 0xfe && table.size < wanted.size; hi++) {
      for (let lo = 0x40; lo <= 0xfe; lo++) {
        const ch = decoder.decode(new Uint8Array([hi, lo]));
        if (wanted.has(ch) && !table.has(ch)) table.set(ch, [hi, lo]);
      }
    }
    return new Uint8Array([...text].flatMap((c) => (c.charCodeAt(0) <= 0x7f ? [c.charCodeAt(0)] : table.get(c) ?? [0x3f])));
  }
}
