import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadPlaybooks } from '../../src/playbook/load.js';
import { DEFAULT_PLAYBOOKS } from '../helpers/service.js';

function dirWith(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'xiaoer-pb-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

/** A playbook directory of these files, loaded: whether it loads, and each problem as "file:line:col message". */
function loaded(files: Record<string, string>): { loads: boolean; problems: string[] } {
  const dir = dirWith(files);
  const { playbook, problems } = loadPlaybooks(dir, dir);
  return { loads: playbook !== null, problems: problems.map((p) => `${p.file}:${p.line}:${p.col} ${p.message}`) };
}

const BASE = `rules:
  - name: 问候
    when:
      keywords: [你好]
    then:
      - reply: hello
responses:
  hello:
    - 亲，欢迎光临{{shop.name}}
fallback:
  reply: hello
`;

/** The responses and fallback the rule tests end with (after the lines their expected positions point at). */
const HELLO = `responses:
  hello: [亲，您好]
fallback: { reply: hello }
`;

describe('playbook loading', () => {
  it('loads the shipped default playbooks without problems', () => {
    const { playbook, problems } = loadPlaybooks(DEFAULT_PLAYBOOKS);
    expect(problems).toEqual([]);
    expect(playbook!.rules.length).toBeGreaterThanOrEqual(5);
    // Highest priority first: a handoff at night (its reply says when people are back) before the out-of-hours note.
    expect(playbook!.rules.slice(0, 2).map((r) => r.name)).toEqual(['转人工-非工作时间', '下班时间提醒']);
    expect(playbook!.rules.every((r, i, all) => i === 0 || all[i - 1]!.priority >= r.priority)).toBe(true);
  });

  it('reports a typo\'d field with file, line and column', () => {
    const dir = dirWith({ 'a.yml': BASE.replace('    when:', '    wehn:') });
    const { playbook, problems } = loadPlaybooks(dir, dir);
    expect(playbook).toBeNull();
    expect(problems[0]).toMatchObject({ file: 'a.yml', line: 3, col: 5, field: 'rules.0.wehn' });
  });

  it('shows the typo in a file that did not load, not the "unknown" errors that follow from it in the others', () => {
    const dir = mkdtempSync(join(tmpdir(), 'xiaoer-pb-typo-'));
    cpSync(DEFAULT_PLAYBOOKS, dir, { recursive: true });
    const intents = join(dir, 'intents.yml');
    const text = readFileSync(intents, 'utf8');
    writeFileSync(intents, text.replace(/^( {2}order_cancel:\n)/m, '$1    priorty: 3\n'));
    const line = text.slice(0, text.indexOf('  order_cancel:')).split('\n').length + 1;
    const { playbook, problems } = loadPlaybooks(dir, dir);
    expect(playbook).toBeNull();
    expect(problems.map((p) => `${p.file}:${p.line} ${p.message}`)).toEqual([
      `intents.yml:${line} unknown field "priorty"; did you mean "priority"?; allowed here: phrases, priority, negatable, alone, miss, types, ask`,
      expect.stringMatching(new RegExp(`^intents\\.yml:${line} \\d{2,} more error\\(s\\) in the other playbooks not shown: they may only follow from intents\\.yml not loading`)),
    ]);
    // Fixed, nothing hidden is left.
    writeFileSync(intents, text);
    expect(loadPlaybooks(dir, dir).problems).toEqual([]);
  });

  it('reports unknown responses, unknown variables, bad regexes and duplicates', () => {
    const dir = dirWith({
      'a.yml': BASE.replace('reply: hello\nresponses', 'reply: helo\nresponses').replace('{{shop.name}}', '{{shop.nmae}}'),
      'b.yml': `rules:\n  - name: 问候\n    when: { regex: ["(unclosed"] }\n    then: [{ reply: hello }]\n`,
    });
    const { problems } = loadPlaybooks(dir, dir);
    const text = problems.map((p) => `${p.file}:${p.line} ${p.message}`);
    expect(text).toEqual(expect.arrayContaining([
      expect.stringMatching(/^a\.yml:6 unknown response "helo"; defined: hello/),
      expect.stringMatching(/^a\.yml:9 unknown template variable \{\{shop\.nmae\}\}; allowed: shop\.name/),
      expect.stringMatching(/^b\.yml:3 invalid regular expression/),
      expect.stringMatching(/^b\.yml:2 rule name "问候" is already used at a\.yml:2/),
    ]));
  });

  it('checks every rule a fired: condition names, and its within: duration', () => {
    const withFired = (fired: string) => loaded({ 'a.yml': BASE.replace('      keywords: [你好]', `      keywords: [你好]\n      fired: ${fired}`) });
    expect(withFired('{ rule: [问候], atLeast: 1, within: 2h }')).toEqual({ loads: true, problems: [] });
    expect(withFired('{ rule: [问候, 问后], atLeast: 1 }').problems).toEqual([expect.stringMatching(/^a\.yml:5:\d+ unknown rule "问后"/)]);
    expect(withFired('{ rule: 问候, within: 2 hours }').problems).toEqual([expect.stringMatching(/^a\.yml:5:\d+ use a duration like 30m, 2h or 1d/)]);
  });

  it('lets a message rule read the customer\'s order state, refuses review and second-order conditions no message carries', () => {
    const withWhen = (extra: string, event = '') => dirWith({ 'a.yml': BASE.replace('      keywords: [你好]', `      keywords: [你好]${event}\n      ${extra}`) });
    expect(loadPlaybooks(withWhen('orderState: shipped')).problems).toEqual([]);
    expect(loadPlaybooks(withWhen('exception: stalled')).problems).toEqual([]);
    const rating = withWhen('rating: { atMost: 2 }');
    const refused = loadPlaybooks(rating, rating);
    expect(refused.playbook).toBeNull();
    expect(refused.problems).toEqual([expect.objectContaining({
      file: 'a.yml', line: 5, col: 15, field: 'rules[0].when.rating', severity: 'error',
      message: expect.stringMatching(/^rating is about an order event, but event message carries none \(a message reads only orderState, exception, reviewWindow, items, orderTotal of the customer's latest order\)/),
    })]);
    const opening = withWhen('orderState: paid', '\n      event: session_start');
    expect(loadPlaybooks(opening, opening).problems).toEqual([expect.objectContaining({
      field: 'rules[0].when.orderState', message: expect.stringMatching(/^orderState is about an order, but event session_start carries none/),
    })]);
  });

  it('refuses expecting what no rule asks for, or on an event that is not a message', () => {
    const rules = `rules:
  - name: 问物流
    when: { keywords: [物流] }
    then: [{ reply: hello }, { expect: 订单号 }]
  - name: 收到单号
    when: { expecting: 定单号 }
    then: [{ reply: hello }]
  - name: 事件
    when: { event: schedule, expecting: 订单号 }
    then: [{ reply: hello }]
${HELLO}`;
    const { loads, problems } = loaded({ 'a.yml': rules });
    expect(loads).toBe(false);
    expect(problems).toEqual([
      expect.stringMatching(/^a\.yml:6:24 unknown expecting \(no rule asks for it with an expect action\) "定单号"; defined: 订单号$/),
      expect.stringMatching(/^a\.yml:9:41 expecting reads the customer's next message, but event schedule is not a message/),
    ]);
  });

  it('refuses a waiting rule that hands over again or is about an event, and a cooldown that is no duration', () => {
    const rules = `rules:
  - name: 等待
    when: { waiting: true, intent: handoff }
    cooldown: 10m
    then: [{ handoff: true }, { reply: hello }]
  - name: 事件
    when: { event: order.paid, waiting: true }
    then: [{ reply: hello }]
  - name: 冷却
    when: { keywords: [在吗] }
    cooldown: 10 minutes
    then: [{ reply: hello }]
intents:
  handoff: { phrases: [转人工] }
${HELLO}`;
    const { loads, problems } = loaded({ 'a.yml': rules });
    expect(loads).toBe(false);
    expect(problems).toEqual([
      expect.stringMatching(/^a\.yml:11:15 .*use a duration like 30m, 2h or 1d/),
    ]);
    expect(loaded({ 'a.yml': rules.replace('10 minutes', '10m') }).problems).toEqual([
      expect.stringMatching(/^a\.yml:5:23 the customer is already waiting for a person \(when\.waiting\): this rule cannot hand over again/),
      expect.stringMatching(/^a\.yml:7:41 waiting is about a customer's message while they wait for a person, but event order\.paid is not one/),
    ]);
  });

  it('names a field typed with a full-width colon, never a reply text with one, and says which fields were meant', () => {
    const dir = dirWith({ 'a.yml': BASE.replace('      - reply: hello', '      - reply：hello').replace('    - 亲，欢迎光临', '    - VIP：亲，欢迎光临') });
    expect(loadPlaybooks(dir, dir).problems.map((p) => `${p.line}:${p.col} ${p.message}`)).toEqual([
      '6:14 "reply：" has a full-width colon (中文冒号); YAML needs an ASCII colon and a space: "reply: …"',
    ]);
    const typo = dirWith({ 'a.yml': BASE.replace('    when:', '    wehn:').replace('responses:', 'respones:') });
    expect(loadPlaybooks(typo, typo).problems.map((p) => `${p.line}:${p.col} ${p.message}`)).toEqual([
      '3:5 unknown field "wehn"; did you mean "when"?; allowed here: name, enabled, category, staleAfter, priority, when, limit, cooldown, continue, then',
      '7:1 unknown field "respones"; did you mean "responses"?; allowed here: settings, intents, synonyms, rules, responses, examples, fallback',
    ]);
  });

  it('skips conversation fixtures (*.test.yml) and warns when there is no fallback', () => {
    const dir = dirWith({ 'a.yml': BASE.replace(/fallback:\n {2}reply: hello\n/, ''), 'a.test.yml': 'not: [a playbook' });
    const { playbook, problems } = loadPlaybooks(dir, dir);
    expect(playbook).not.toBeNull();
    expect(problems).toEqual([expect.objectContaining({ severity: 'warning', field: 'fallback' })]);
  });

  it('rejects forbidden phrases and warns about unreachable rules and shared intent phrases', () => {
    const dir = dirWith({
      'a.yml': `intents:
  bargain: { phrases: [便宜, 优惠] }
  promo: { phrases: [优惠] }
rules:
  - name: 所有消息
    then: [{ reply: hello }]
  - name: 永远轮不到
    when: { keywords: [发票] }
    then: [{ reply: rude }]
responses:
  hello: [亲，您好]
  rude: [这是你的问题，爱买不买]
fallback: { reply: hello }
`,
    });
    const { playbook, problems } = loadPlaybooks(dir, dir);
    expect(playbook).toBeNull();
    const text = problems.map((p) => `${p.severity} ${p.file}:${p.line} ${p.message}`);
    expect(text).toEqual(expect.arrayContaining([
      expect.stringMatching(/^error a\.yml:12 contains "爱买不买"/),
      expect.stringMatching(/^error a\.yml:12 contains "你的问题"/),
      expect.stringMatching(/^warning a\.yml:7 unreachable: every message it matches is answered first by rule "所有消息"/),
      expect.stringMatching(/^warning a\.yml:3 phrase "优惠" is also a phrase of intent "bargain"/),
    ]));
  });

  it('names the allowed actions when an action is misspelled, and the allowed values of an enum', () => {
    const dir = dirWith({ 'a.yml': BASE.replace('      - reply: hello', '      - handof: true').replace('keywords: [你好]', 'keywords: [你好]\n      hours: night') });
    const { problems } = loadPlaybooks(dir, dir);
    expect(problems.map((p) => `${p.line}:${p.col} ${p.message}`)).toEqual(expect.arrayContaining([
      expect.stringMatching(/^7:9 unknown field "handof"; did you mean "handoff"\?; allowed actions: reply, set, clear, expect, tag, untag, handoff/),
      expect.stringMatching(/^5:14 .*"open"\|"closed"/),
    ]));
  });
});
