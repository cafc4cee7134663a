import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.js';
import { DIALECTS, freshDatabaseUrl } from '../helpers/db.js';
import { DEFAULT_PLAYBOOKS, localChat, startService, writeConfig } from '../helpers/service.js';
import type { TestService } from '../helpers/service.js';

/** `xiaoer replay`: a draft of the playbooks read against the shop's real messages, as staff run it before saving. */
describe.each(DIALECTS)('xiaoer replay (%s)', (dialect) => {
  let dir = '';
  let db: { url: string; cleanup(): Promise<void> };
  let out = '';
  let err = '';
  let svc: TestService;
  let configFile = '';
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'xiaoer-replay-'));
    configFile = writeConfig();
    db = await freshDatabaseUrl(dialect, join(dir, 'x.db'));
    svc = await startService({ databaseUrl: db.url, configFile, worker: 'off' });
    for (const [user, text] of [['u1', '你们发什么快递'], ['u2', '你们发什么快递'], ['u3', '火星能送吗'], ['u4', '能便宜点吗'], ['u1', '谢谢']]) {
      expect((await localChat(svc.url, user!, text!)).status).toBe(200);
    }
    await svc.close();
    vi.stubEnv('DATABASE_URL', db.url);
    vi.stubEnv('XIAOER_CONFIG', configFile);
    vi.stubEnv('ACME_FEISHU_SECRET', 'feishu-app-secret');
    out = '';
    err = '';
    vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((out += String(s)), true));
    vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((err += String(s)), true));
  });
  afterEach(async () => {
    vi.unstubAllEnvs();
    vi.restoreAllMocks();
    await db.cleanup();
  });

  /** A copy of the shop's playbooks with `edit` applied to one file. */
  function draft(file: string, edit: (yaml: string) => string): string {
    const d = join(dir, 'playbooks-draft');
    cpSync(DEFAULT_PLAYBOOKS, d, { recursive: true });
    writeFileSync(join(d, file), edit(readFileSync(join(d, file), 'utf8')));
    return d;
  }

  it('lists the real messages a draft answers differently, the ones it stops understanding first', async () => {
    const d = draft('intents.yml', (y) => y.replace('phrases: [偏远地区, 偏远,', 'phrases: [偏远地区, 偏远, 火星,'));
    // …and in the same draft, the courier answer switched off.
    writeFileSync(join(d, 'quick-replies.yml'), readFileSync(join(d, 'quick-replies.yml'), 'utf8')
      .replace('  - name: 快递公司\n    when: { intent: faq.courier }', '  - name: 快递公司\n    enabled: false\n    when: { intent: faq.courier }'));
    expect(await main(['replay', '--shop', 'acme', '--draft', d])).toBe(0);
    expect(out).toMatch(/replayed 5 customer messages of shop acme from the last 7 days/);
    expect(out).toMatch(/answered the same: 2\nanswered differently: 3/);
    expect(out).toMatch(/no longer understood \(were answered, now the fallback\) — check these first: 2\n +2× +你们发什么快递\n +快递公司 +→ +\(fallback\)/);
    expect(out).toMatch(/now understood \(were the fallback\): 1\n +1× +火星能送吗\n +\(fallback\) +→ +偏远地区/);
    expect(out.indexOf('no longer understood')).toBeLessThan(out.indexOf('now understood'));

    out = '';
    expect(await main(['replay', '--shop', 'acme', '--draft', d, '--json'])).toBe(0);
    const json = JSON.parse(out) as { replayed: number; same: number; changes: { kind: string; text: string; count: number }[] };
    expect(json).toMatchObject({ replayed: 5, same: 2 });
    expect(json.changes.map((c) => [c.kind, c.text, c.count])).toEqual([['no longer understood', '你们发什么快递', 2], ['now understood', '火星能送吗', 1]]);
  });

  it('says when the draft answers a message only by likeness to examples, not by a phrase', async () => {
    // With faq.courier's phrases cut to one, 你们发什么快递 is still answered as faq.courier — on a guess.
    const d = draft('intents.yml', (y) => y.replace(/( {2}faq\.courier:\n(?:.*\n)*? {4}phrases: )\[[^\]]*\]/, '$1[哪家快递]'));
    expect(await main(['replay', '--shop', 'acme', '--draft', d])).toBe(0);
    expect(out).toMatch(/\nanswered differently: 2\n +2× +你们发什么快递\n +快递公司 +→ +快递公司 \(by likeness\)\n/);
  });

  it('says so when the draft changes nothing, and refuses a draft that does not load, naming file and line', async () => {
    expect(await main(['replay', '--shop', 'acme', '--draft', draft('greeting.yml', (y) => y)])).toBe(0);
    expect(out).toMatch(/answered differently: 0/);
    expect(out).toMatch(/The draft answers every replayed message as the current playbooks do/);

    const broken = draft('quick-replies.yml', (y) => y.replace('when: { intent: faq.courier }', 'when: { intent: faq.courrier }'));
    expect(await main(['replay', '--shop', 'acme', '--draft', broken])).toBe(1);
    expect(err).toMatch(/the draft does not load; nothing replayed:\n +.*quick-replies\.yml:\d+:\d+: error: .*faq\.courrier/);
    err = '';
    expect(await main(['replay', '--shop', 'acme'])).toBe(1);
    expect(err).toMatch(/--draft: name the directory/);
    expect(await main(['replay', '--shop', 'acme', '--draft', d0(), '--days', 'week'])).toBe(1);
    expect(err).toMatch(/--days week: a whole number of days/);
  });

  it('closes the loop: not-understood questions to a sheet, filled in, imported into a draft, replayed', async () => {
    const sheet = join(dir, 'not-understood.csv');
    expect(await main(['report', '--shop', 'acme', '--faq-sheet', sheet])).toBe(0);
    expect(out).toMatch(/wrote 1 questions customers asked that no rule answered .* to .*not-understood\.csv/);
    const csv = readFileSync(sheet, 'utf8');
    expect(csv).toBe('\uFEFF"问题","关键词","回答","次数","客服当时的回答（参考，不导入）"\r\n"火星能送吗","","","1",""\r\n');
    // Staff fill in the row worth answering, and add one the bot should leave alone for now.
    writeFileSync(sheet, csv.replace('"火星能送吗","",""', '"火星能送吗","火星","亲，火星暂时还不在配送范围内哦～"') + '"你们老板养猫吗","","","1"\r\n');
    const d = draft('greeting.yml', (y) => y);
    out = '';
    expect(await main(['faq', 'import', sheet, '--out', join(d, 'faq.yml')])).toBe(0);
    expect(out).toMatch(/imported 1 questions .* \(1 not filled in: left out\)/);
    out = '';
    expect(await main(['replay', '--shop', 'acme', '--draft', d])).toBe(0);
    expect(out).toMatch(/now understood \(were the fallback\): 1\n +1× +火星能送吗\n +\(fallback\) +→ +问答：火星能送吗/);
    err = '';
    expect(await main(['report', '--shop', 'acme', '--faq-sheet', sheet])).toBe(1);
    expect(err).toMatch(/not-understood\.csv exists/);
  });

  const d0 = () => DEFAULT_PLAYBOOKS;
});
