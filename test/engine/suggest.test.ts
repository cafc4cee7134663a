import { mkdtempSync, readFileSync, writeFileSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { emptyState } from '../../src/db/conversations.js';
import type { ConversationState } from '../../src/db/conversations.js';
import { decide, FALLBACK_RULE } from '../../src/engine/decide.js';
import { pickedSuggestion, RESEMBLANCE_COVERAGE, RESEMBLANCE_MARGIN, resembledIntent, saysNot, similarIntents, suggestionsFor } from '../../src/engine/suggest.js';
import { buildSimilarIndex } from '../../src/nlu/similar.js';
import { loadPlaybooks } from '../../src/playbook/load.js';
import { DEFAULT_PLAYBOOKS } from '../helpers/service.js';

const playbook = loadPlaybooks(DEFAULT_PLAYBOOKS).playbook!;
const shop = { id: 'acme', name: '阿克米旗舰店', timezone: 'Asia/Shanghai', businessHours: { from: '09:00', to: '23:00' } };
const OPEN = new Date('2026-11-27T03:00:00Z'); // 11:00 Shanghai

function say(text: string, state: ConversationState = emptyState(), random = 0) {
  return decide({
    shop, playbook, message: { text, kind: 'text', channel: 'local' },
    customer: { name: null, firstSeenAt: OPEN.getTime(), tags: [], tier: null },
    conversation: { isNew: false }, state, now: OPEN, random: () => random,
  });
}

/** A message the phrases do not know but the examples resemble (shipping time first). */
const UNKNOWN_SHIPPING = '多会儿能给我寄出来';

describe('similar examples (src/nlu/similar)', () => {
  const index = buildSimilarIndex([
    { intent: 'ship', text: '什么时候发货' }, { intent: 'ship', text: '今天能寄出吗' },
    { intent: 'invoice', text: '能开发票吗' }, { intent: 'size', text: '尺码偏大' },
  ]);

  it('ranks the intent of the closest example first, and leaves out intents sharing nothing', () => {
    const ranked = index.rank('明天能寄出吗');
    expect(ranked[0]!.intent).toBe('ship');
    expect(ranked.map((r) => r.intent)).not.toContain('size');
    expect(index.rank('谢谢老板')).toEqual([]);
    expect(index.rank('吗')).toEqual([]); // one character: too little to guess from
  });

  it('reads text as the phrases do (traditional characters, full width)', () => {
    expect(index.rank('今天能寄出嗎？')[0]).toEqual(index.rank('今天能寄出吗')[0]);
  });
});

describe('您是想问… after a miss', () => {
  it('offers the questions the message resembles, numbered, and takes the number as the question', () => {
    const miss = say(UNKNOWN_SHIPPING);
    expect(miss.understood.intent).toBeNull();
    expect(miss.replies.map((r) => [r.rule, r.response])).toEqual([[FALLBACK_RULE, 'not-understood-suggest']]);
    expect(miss.replies[0]!.text).toMatch(/\n1\. 什么时候发货？\n/);
    expect(miss.state.suggested?.[0]).toBe('faq.shipping_time');
    expect(miss.state.misses).toBe(1);

    const pick = say('1', miss.state);
    expect(pick.replies.map((r) => r.rule)).toEqual(['发货时间']);
    expect(pick.state.misses).toBe(0);
    expect(pick.state.suggested).toBeUndefined();
  });

  it('takes 第二个, 选2 and the question repeated; a number out of the list is no pick', () => {
    const { state } = say(UNKNOWN_SHIPPING);
    const second = state.suggested![1]!;
    expect(pickedSuggestion(playbook, '第二个', state.suggested!)).toBe(second);
    expect(pickedSuggestion(playbook, '选2吧', state.suggested!)).toBe(second);
    expect(pickedSuggestion(playbook, '什么时候发货', state.suggested!)).toBe('faq.shipping_time');
    expect(pickedSuggestion(playbook, '5', state.suggested!)).toBeNull();
    expect(pickedSuggestion(playbook, '我买了2件', state.suggested!)).toBeNull();
  });

  it('the list is for the next message only: a number later is not a pick', () => {
    const miss = say(UNKNOWN_SHIPPING);
    const other = say('包邮吗', miss.state);
    expect(other.replies.map((r) => r.rule)).toEqual(['包邮运费']);
    const late = say('1', other.state);
    expect(late.replies.map((r) => r.rule)).toEqual([FALLBACK_RULE]);
    expect(late.replies[0]!.response).toBe('not-understood');
  });

  it('a nod (好的) before the number keeps the list open, as it keeps a question the bot asked', () => {
    const miss = say(UNKNOWN_SHIPPING);
    const nod = say('好的', miss.state);
    expect(nod.replies).toEqual([]);
    expect(say('1', nod.state).replies.map((r) => r.rule)).toEqual(['发货时间']);
    expect(pickedSuggestion(playbook, '第二個', miss.state.suggested!)).toBe(miss.state.suggested![1]);
  });

  it('is still a miss: a second message not understood goes to a person', () => {
    const miss = say(UNKNOWN_SHIPPING);
    const again = say('都不是啦', miss.state);
    expect(again.handoff).not.toBeNull();
    expect(again.replies.map((r) => r.response)).not.toContain('not-understood-suggest');
  });

  it('offers nothing for what the customer said they do not want, nor beside a complaint', () => {
    expect(say('我不是要退货').replies.map((r) => r.response)).toEqual(['not-understood']);
    expect(say('不用转人工').replies.map((r) => r.response)).toEqual(['not-understood']);
    // Most like a complaint (no ask): the plain fallback, never a menu of FAQ to an angry customer.
    expect(suggestionsFor(playbook, '你们这样做生意太坑了吧')).toEqual([]);
  });

  it('offers nothing when the message resembles nothing', () => {
    expect(suggestionsFor(playbook, 'qwxz')).toEqual([]);
  });

  it('a shop that finds the lists too eager raises fallback.suggest.minScore', () => {
    const dir = mkdtempSync(join(tmpdir(), 'xiaoer-suggest-'));
    cpSync(DEFAULT_PLAYBOOKS, dir, { recursive: true });
    const file = join(dir, 'quick-replies.yml');
    writeFileSync(file, readFileSync(file, 'utf8').replace('answerAbove: 0.55 }', 'answerAbove: 0.55, minScore: 0.6 }'));
    const strict = loadPlaybooks(dir, dir).playbook!;
    expect(playbook.fallback!.suggest!.minScore).toBe(0.2);
    expect(suggestionsFor(playbook, UNKNOWN_SHIPPING)[0]).toBe('faq.shipping_time');
    expect(suggestionsFor(strict, UNKNOWN_SHIPPING)).toEqual([]); // resembles, but not that much
    expect(suggestionsFor(strict, '什么时候能发货')[0]).toBe('faq.shipping_time'); // close enough still is
  });
});

/** The defaults with fallback.suggest written differently. */
function withSuggest(suggest: string) {
  const dir = mkdtempSync(join(tmpdir(), 'xiaoer-suggest-'));
  cpSync(DEFAULT_PLAYBOOKS, dir, { recursive: true });
  const file = join(dir, 'quick-replies.yml');
  writeFileSync(file, readFileSync(file, 'utf8').replace('suggest: { reply: not-understood-suggest, max: 3, answerAbove: 0.55 }', suggest));
  return loadPlaybooks(dir, dir).playbook!;
}

describe('answered by likeness (fallback.suggest.answerAbove)', () => {
  // A slip of the keys that drops the word the phrases know (什么时候发货 without 什).
  const SLIP = '么时候发货呀';

  it('answers a message no phrase knows as the one intent it is clearly like, and says how alike', () => {
    const d = say(SLIP);
    expect(d.understood).toMatchObject({ intent: 'faq.shipping_time' });
    expect(d.understood.resembled).toBeGreaterThanOrEqual(0.55);
    expect(d.replies.map((r) => r.rule)).toEqual(['发货时间']);
    expect(d.state.misses).toBe(0); // answered: no miss towards a handoff
  });

  it('is off unless the shop sets answerAbove, and a higher bar leaves the message to 您是想问', () => {
    const off = withSuggest('suggest: { reply: not-understood-suggest, max: 3 }');
    expect(resembledIntent(off, SLIP)).toBeNull();
    const score = resembledIntent(playbook, SLIP)!.score;
    const high = withSuggest(`suggest: { reply: not-understood-suggest, max: 3, answerAbove: ${Math.min(1, Math.ceil((score + 0.01) * 100) / 100)} }`);
    expect(resembledIntent(high, SLIP)).toBeNull();
    expect(suggestionsFor(high, SLIP)[0]).toBe('faq.shipping_time');
  });

  it('never guesses a request for a person, an opt-out or a complaint: those take the customer\'s own words', () => {
    // 我要跟人工说 with 人 slipped: most like a request for a person, by far, saying most of the
    // example — and still only 您是想问 or the fallback, never a handoff on a guess.
    const text = '我要跟工说';
    const [first, second] = similarIntents(playbook, text);
    expect(first).toMatchObject({ intent: 'handoff' });
    expect(first!.score - (second?.score ?? 0)).toBeGreaterThanOrEqual(RESEMBLANCE_MARGIN);
    expect(first!.score).toBeGreaterThanOrEqual(0.55);
    expect(first!.covers).toBeGreaterThanOrEqual(RESEMBLANCE_COVERAGE);
    expect(resembledIntent(playbook, text)).toBeNull();
    const d = say(text);
    expect(d.handoff).toBeNull();
    expect(d.understood.intent).toBeNull();
  });

  it('never answers the start of a sentence that has not asked anything yet, nor a reply to the bot\'s own question', () => {
    // Close to the example 我昨天下的单今天降价了, but none of what makes it a question about price protection.
    const [first] = similarIntents(playbook, '我昨天下的单');
    expect(first).toMatchObject({ intent: 'faq.price_protection' });
    expect(first!.score).toBeGreaterThanOrEqual(0.55);
    expect(first!.covers).toBeLessThan(RESEMBLANCE_COVERAGE);
    expect(resembledIntent(playbook, '我昨天下的单')).toBeNull();
    // After 麻烦发一下订单号, a slip that would otherwise be answered is the customer answering (查询物流-再要一次 takes it).
    const asked = say('查一下物流');
    expect(asked.state.expecting).toBeDefined();
    expect(say(SLIP, asked.state).understood.intent).toBeNull();
  });

  it('never answers a message one "not" away from its example: they may mean the opposite', () => {
    // 刚才那单我不想要了怎么弄 is an order_cancel example; without the 不 the customer wants the order.
    const kept = '刚才那单我想要了怎么弄';
    const [first, second] = similarIntents(playbook, kept);
    expect(first).toMatchObject({ intent: 'order_cancel', example: '刚才那单我不想要了怎么弄' });
    expect(first!.score).toBeGreaterThanOrEqual(0.55);
    expect(first!.covers).toBeGreaterThanOrEqual(RESEMBLANCE_COVERAGE);
    expect(first!.score - (second?.score ?? 0)).toBeGreaterThanOrEqual(RESEMBLANCE_MARGIN);
    expect(resembledIntent(playbook, kept)).toBeNull();
    const d = say(kept);
    expect(d.replies.map((r) => r.rule)).toEqual([FALLBACK_RULE]); // 您是想问 at most, never the cancel answer
    // The same words with the 不 are answered as the example they are.
    expect(resembledIntent(playbook, '刚才那单我不想要了怎么弄呀')?.intent).toBe('order_cancel');
  });

  it('reads the 不 and 没 of a question as no "not"', () => {
    for (const asked of ['有现货没', '支持货到付款不', '发了没有？', '粉色的还有没有', '会不会掉色', '好不好用', '不好意思问下', '质量不错']) expect(saysNot(asked), asked).toBe(false);
    for (const not of ['我不想要了', '还没收到', '别发顺丰', '付款页面打不开', '不合适可以退吗', '付款页面…不']) expect(saysNot(not), not).toBe(true);
  });

  it('never answers what the customer said they do not mean', () => {
    // 不合适可以(退)吗, the 退 slipped: answered as returns — unless the phrases found the customer saying they do not mean it.
    expect(resembledIntent(playbook, '不合适可以吗')?.intent).toBe('faq.returns');
    expect(resembledIntent(playbook, '不合适可以吗', ['faq.returns'])).toBeNull();
  });
});

describe('xiaoer check on suggestions', () => {
  function withEdit(edit: (files: Map<string, string>) => void, severity: 'error' | 'warning' = 'error') {
    const dir = mkdtempSync(join(tmpdir(), 'xiaoer-suggest-'));
    cpSync(DEFAULT_PLAYBOOKS, dir, { recursive: true });
    const files = new Map<string, string>();
    for (const f of ['quick-replies.yml', 'examples.yml', 'intents.yml']) files.set(f, readFileSync(join(dir, f), 'utf8'));
    edit(files);
    for (const [f, text] of files) writeFileSync(join(dir, f), text);
    return loadPlaybooks(dir, dir).problems.filter((p) => p.severity === severity);
  }

  it('warns of the same example under two intents, at the second', () => {
    const problems = withEdit((f) => f.set('extra.yml', 'examples:\n  faq.store: [什么时候发货]\n'), 'warning');
    expect(problems).toEqual([expect.objectContaining({
      file: 'extra.yml', line: 2, field: 'examples.faq.store', message: expect.stringMatching(/"什么时候发货" is also an example of faq\.shipping_time/),
    })]);
  });

  it('names the line of an example under an intent that does not exist', () => {
    const problems = withEdit((f) => f.set('examples.yml', `${f.get('examples.yml')}  faq.shiping: [啥时候发]\n`));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ file: 'examples.yml', field: 'examples.faq.shiping' });
    expect(problems[0]!.line).toBe(f(readFileSync(join(DEFAULT_PLAYBOOKS, 'examples.yml'), 'utf8')) + 1);
    function f(text: string) { return text.trimEnd().split('\n').length; }
  });

  it('refuses a suggest reply that does not show {{suggestions}}, and an ask customers must never hear', () => {
    const noList = withEdit((f) => f.set('quick-replies.yml', f.get('quick-replies.yml')!.replace('{{suggestions}}\\n回复数字就可以哦', '回复数字就可以哦')));
    expect(noList.map((p) => p.field)).toEqual(['fallback.suggest.reply']);
    const rude = withEdit((f) => f.set('intents.yml', f.get('intents.yml')!.replace('ask: 包邮吗？', 'ask: 包邮吗？不可能')));
    expect(rude.map((p) => p.field)).toEqual(['intents.faq.free_shipping.ask']);
  });
});
