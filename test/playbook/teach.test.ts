import { cpSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parse } from 'yaml';
import { main } from '../../src/cli/main.js';
import { understand } from '../../src/engine/understand.js';
import { loadPlaybooks } from '../../src/playbook/load.js';
import { teachEdit } from '../../src/playbook/teach.js';
import type { TeachEdit } from '../../src/playbook/teach.js';
import { captureOutput } from '../helpers/cli.js';
import { DEFAULT_PLAYBOOKS } from '../helpers/service.js';

function dirWith(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'xiaoer-teach-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}
const applied = (e: TeachEdit | { error: string }): TeachEdit => {
  if ('error' in e) throw new Error(e.error);
  writeFileSync(e.file, e.text);
  return e;
};

const INTENTS = `# 意图
intents:
  faq.hours:
    ask: 客服几点在线？
    phrases: [几点下班, 几点上班]   # 工作时间
  faq.price:
    phrases:
      - 多少钱
      - 什么价
`;

describe('teaching the bot a question', () => {
  afterEach(() => vi.restoreAllMocks());

  it('adds to a flow list before its bracket and to a block list as a new line, leaving every other line as it was', () => {
    const dir = dirWith({ 'intents.yml': INTENTS });
    const flow = applied(teachEdit(dir, 'faq.hours', '你们客服都下班了吗?', 'phrase'));
    expect(flow.line).toBe(5);
    const block = applied(teachEdit(dir, 'faq.price', '12315', 'phrase'));
    expect(block.line).toBe(10);
    const text = readFileSync(join(dir, 'intents.yml'), 'utf8');
    expect(text).toBe(INTENTS
      .replace('[几点下班, 几点上班]   # 工作时间', '[几点下班, 几点上班, "你们客服都下班了吗?"]   # 工作时间')
      .replace('      - 什么价\n', '      - 什么价\n      - "12315"\n'));
    // Read back as the same texts: a question mark or a number is quoted, not taken for YAML syntax.
    expect(parse(text).intents['faq.price'].phrases).toEqual(['多少钱', '什么价', '12315']);
    expect(applied(teachEdit(dir, 'faq.price', '12315', 'phrase')).already).toBe(true);
  });

  it('puts an example under its intent in examples:, starts a new intent there, or starts examples.yml', () => {
    const dir = dirWith({ 'a.yml': `${INTENTS}examples:\n  faq.hours: [周末有人吗]\n# 结束\n` });
    applied(teachEdit(dir, 'faq.hours', '晚上还有人吗', 'example'));
    const added = applied(teachEdit(dir, 'faq.price', '这个卖多少', 'example'));
    expect(readFileSync(join(dir, 'a.yml'), 'utf8').endsWith('examples:\n  faq.hours: [周末有人吗, 晚上还有人吗]\n  faq.price: [这个卖多少]\n# 结束\n')).toBe(true);
    expect(added.line).toBe(12);

    const bare = dirWith({ 'intents.yml': INTENTS });
    const created = applied(teachEdit(bare, 'faq.price', '这个卖多少', 'example'));
    expect(created).toMatchObject({ file: join(bare, 'examples.yml'), created: true });
    expect(parse(readFileSync(created.file, 'utf8'))).toEqual({ examples: { 'faq.price': ['这个卖多少'] } });
  });

  it('xiaoer teach: the default playbooks learn a phrase the bot then answers by, and refuse an edit that would not load', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'xiaoer-teach-'));
    cpSync(DEFAULT_PLAYBOOKS, join(dir, 'playbooks'), { recursive: true });
    const config = join(dir, 'xiaoer.yml');
    writeFileSync(config, 'shops:\n  - id: acme\n    name: 阿克米\n    playbooks: ./playbooks\n    channels:\n      local: {}\n');
    expect(understand('多会儿能寄', loadPlaybooks(join(dir, 'playbooks')).playbook!).intent).toBeNull();

    let io = captureOutput();
    expect(await main(['teach', '--config', config, '--shop', 'acme', '--phrase', 'faq.shipping_time', '多会儿能寄'])).toBe(0);
    expect(io.out).toContain('now: "多会儿能寄" is understood as faq.shipping_time');
    expect(understand('多会儿能寄', loadPlaybooks(join(dir, 'playbooks')).playbook!).intent).toBe('faq.shipping_time');

    const intents = readFileSync(join(dir, 'playbooks', 'intents.yml'), 'utf8');
    vi.restoreAllMocks();
    io = captureOutput();
    expect(await main(['teach', '--config', config, '--shop', 'acme', '--phrase', 'faq.shipping_time', '/(多会儿/'])).toBe(1);
    expect(io.err).toMatch(/teach: not kept, the playbooks would not load with it:\n {2}.*intents\.yml:\d+:\d+: error: .*is not a valid regular expression/);
    expect(readFileSync(join(dir, 'playbooks', 'intents.yml'), 'utf8')).toBe(intents); // put back as it was

    // An example: with answerAbove (the defaults) the words themselves are then answered, less alike ones offered.
    vi.restoreAllMocks();
    io = captureOutput();
    expect(await main(['teach', '--config', config, '--shop', 'acme', 'faq.store', '能到你们库房提货不'])).toBe(0);
    expect(io.out).toContain('now: "能到你们库房提货不" is answered as faq.store (alike enough to its examples: fallback.suggest.answerAbove)');

    // The same words under a second intent: kept (the file loads), but said.
    vi.restoreAllMocks();
    io = captureOutput();
    expect(await main(['teach', '--config', config, '--shop', 'acme', 'faq.courier', '能到你们库房提货不'])).toBe(0);
    expect(io.out).toMatch(/examples\.yml:\d+:\d+: warning: .*"能到你们库房提货不" is also an example of faq\.(store|courier)/);

    vi.restoreAllMocks();
    io = captureOutput();
    expect(await main(['teach', '--config', config, '--shop', 'acme', 'faq.shiping_time', '多会儿能寄'])).toBe(1);
    expect(io.err).toMatch(/unknown intent "faq\.shiping_time"; intents: handoff, /);
    expect(existsSync(join(dir, 'playbooks', 'examples.yml'))).toBe(true);
  });
});
