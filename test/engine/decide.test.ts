import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { emptyState } from '../../src/db/conversations.js';
import type { ConversationState } from '../../src/db/conversations.js';
import { decide, FALLBACK_RULE } from '../../src/engine/decide.js';
import { parseTemplate, render } from '../../src/engine/template.js';
import { addMinutesWithin, isWithinHours, localTime, nextStartOf } from '../../src/engine/time.js';
import { loadPlaybooks } from '../../src/playbook/load.js';
import { DEFAULT_PLAYBOOKS } from '../helpers/service.js';

const playbook = loadPlaybooks(DEFAULT_PLAYBOOKS).playbook!;
const shop = { id: 'acme', name: '阿克米旗舰店', timezone: 'Asia/Shanghai', businessHours: { from: '09:00', to: '23:00' } };
const OPEN = new Date('2026-11-27T03:00:00Z'); // 11:00 Shanghai
const CLOSED = new Date('2026-11-27T16:00:00Z'); // 00:00 Shanghai

function say(text: string | null, o: { now?: Date; firstSeenAt?: number; state?: ConversationState; name?: string | null; random?: number; isNew?: boolean } = {}) {
  const now = o.now ?? OPEN;
  return decide({
    shop, playbook, message: { text, kind: text === null ? 'image' : 'text', channel: 'local' },
    customer: { name: o.name ?? null, firstSeenAt: o.firstSeenAt ?? now.getTime(), tags: [], tier: null },
    conversation: { isNew: o.isNew ?? false }, state: o.state ?? emptyState(), now, random: () => o.random ?? 0,
  });
}

describe('decide with the default playbooks', () => {
  it('greets a first-time and a returning customer differently', () => {
    const first = say('你好');
    const again = say('你好', { firstSeenAt: OPEN.getTime() - 3 * 86_400_000 });
    expect(first.replies.map((r) => r.rule)).toEqual(['新客户问候']);
    expect(again.replies.map((r) => r.rule)).toEqual(['老客户问候']);
    expect(first.replies[0]!.text).toContain('阿克米旗舰店');
  });

  it('outside business hours says when a person is back, once a day, then answers', () => {
    const a = say('你好', { now: CLOSED });
    expect(a.replies.map((r) => r.rule)).toEqual(['下班时间提醒', '新客户问候']);
    expect(a.replies[0]!.text).toMatch(/09:00/);
    const b = say('发票能开吗', { now: new Date(CLOSED.getTime() + 600_000), state: a.state });
    expect(b.replies.map((r) => r.rule)).toEqual(['发票']);
    expect(say('看了半天拿不定主意', { now: CLOSED }).replies.map((r) => r.rule)).toEqual(['下班时间提醒', FALLBACK_RULE]);
    const nextNight = say('你好', { now: new Date(CLOSED.getTime() + 86_400_000), state: b.state });
    expect(nextNight.replies[0]!.rule).toBe('下班时间提醒');
  });

  it('never repeats the variation the customer saw last', () => {
    let state = emptyState();
    const seen: number[] = [];
    for (let i = 0; i < 6; i++) {
      // Just over two hours apart (within two a second 你好 gets 问候-再次, tested below), all in business hours.
      const now = new Date(OPEN.getTime() + i * (2 * 3_600_000 + 60_000));
      const d = say('你好', { state, random: 0, now, firstSeenAt: OPEN.getTime() });
      expect(d.replies[0]!.rule).toBe('新客户问候');
      seen.push(d.replies[0]!.variation);
      state = d.state;
    }
    for (let i = 1; i < seen.length; i++) expect(seen[i]).not.toBe(seen[i - 1]);
  });

  it('a second 你好 soon after the welcome is answered 在的, not welcomed again; hours later it is a welcome again', () => {
    const first = say('你好');
    const again = say('在吗在吗', { state: first.state, now: new Date(OPEN.getTime() + 30 * 60_000) });
    expect(again.replies.map((r) => r.rule)).toEqual(['问候-再次']);
    expect(again.replies[0]!.text).toMatch(/在/);
    expect(again.replies[0]!.text).not.toMatch(/欢迎/);
    const later = say('你好', { state: again.state, now: new Date(OPEN.getTime() + 30 * 60_000 + 2 * 3_600_000 + 1) });
    expect(later.replies.map((r) => r.rule)).toEqual(['新客户问候']);
  });

  it('答非所问 after an answer apologises and counts as a miss; after a miss (or again) it hands over with the reason', () => {
    const asked = say('你们发什么快递');
    expect(asked.replies.map((r) => r.rule)).not.toContain(FALLBACK_RULE);
    const wrong = say('答非所问', { state: asked.state });
    expect(wrong.replies.map((r) => r.rule)).toEqual(['答非所问-致歉']);
    expect(wrong.handoff).toBeNull();
    expect(wrong.state.misses).toBe(1);
    const again = say('你说的什么啊', { state: wrong.state });
    expect(again.replies.map((r) => r.rule)).toEqual(['转人工-工作时间']); // no second apology
    expect(again.handoff).toMatchObject({ reason: '顾客说答非所问' });
    expect(again.state.misses).toBe(0);
    // After a miss: the second failure in a row.
    const missed = say('看了半天拿不定主意');
    expect(missed.state.misses).toBe(1);
    expect(say('不是这个意思', { state: missed.state }).handoff).toMatchObject({ reason: '顾客说答非所问' });
    // A miss after the apology hands over as two misses do.
    expect(say('看了半天拿不定主意', { state: wrong.state }).handoff).toMatchObject({ reason: '连续两次没听懂' });
    // Said with the question again: the question is answered, nothing counted.
    const restated = say('不是这个意思，我问的是什么时候发货', { state: asked.state });
    expect(restated.replies.map((r) => r.rule)).toEqual(['发货时间']);
    expect(restated.state.misses).toBe(0);
  });

  it('a greeting beside a question it does not know is answered, and the question counted as a miss, not dropped', () => {
    const first = say('你好，这个适合送男朋友吗', { isNew: true });
    expect(first.replies.map((r) => r.rule)).toEqual(['新客户问候', FALLBACK_RULE]);
    expect(first.state.misses).toBe(1);
    const later = say('谢谢，那这个适合送人吗', { state: first.state });
    expect(later.replies.map((r) => r.rule)).not.toContain('礼貌告别'); // no goodbye to a customer still asking
    expect(later.handoff).toMatchObject({ reason: '连续两次没听懂' });
    for (const plain of ['你好 在吗', '您好请问有人吗', '你好，请问一下']) {
      const d = say(plain, { isNew: true });
      expect([plain, d.replies.map((r) => r.rule), d.state.misses]).toEqual([plain, [/您|请问/.test(plain) ? '问候-正式' : '新客户问候'], 0]); // 您, 请问: the formal greeting (§7)
    }
    expect(say('谢谢，那这个适合送人吗').replies.map((r) => r.rule)).toEqual([FALLBACK_RULE]);
  });

  it('takes the answer to its own question from the next message only', () => {
    const asked = say('我的快递到哪了');
    expect(asked.state.expecting).toBe('订单号');
    const answered = say('单号 4012345678901234', { state: asked.state });
    expect(answered.replies.map((r) => r.rule)).toEqual(['查询物流-收到单号']);
    expect(answered.handoff).toMatchObject({ rule: '查询物流-收到单号', reason: '查物流：顾客发来了订单号' });
    expect(answered.state.expecting).toBeUndefined();
    // Another question in between: the number that comes after it is not taken for the order number.
    const between = say('什么时候发货', { state: asked.state });
    expect(between.state.expecting).toBeUndefined();
    expect(say('4012345678901234', { state: between.state }).replies.map((r) => r.rule)).toEqual([FALLBACK_RULE]);
  });

  it('keeps the question pending across order events, and drops it while a person has the chat', () => {
    const asked = say('我的快递到哪了');
    const event = decide({
      shop, playbook, message: { text: null, kind: 'other', channel: 'local', event: 'order.paid' },
      order: { id: 'T1', state: 'paid', total: 199, items: [], signedAt: null },
      customer: { name: null, firstSeenAt: OPEN.getTime(), tags: [], tier: null },
      conversation: { isNew: false }, state: asked.state, now: OPEN, random: () => 0,
    });
    expect(event.state.expecting).toBe('订单号');
    const silenced = say('4012345678901234', { state: { ...asked.state, handoffUntil: OPEN.getTime() + 60_000 } });
    expect(silenced.silenced).toBe(true);
    expect(silenced.state.expecting).toBeUndefined();
  });

  it('answers a second question asked in its own clause, where it was asked', () => {
    const rules = (text: string, o: { now?: Date } = {}) => say(text, o).replies.map((r) => r.rule);
    expect(rules('什么时候发货？包邮吗')).toEqual(['发货时间', '包邮运费']);
    expect(rules('能便宜点吗，发什么快递')).toEqual(['议价-第一轮', '快递公司']);
    // Asked first, answered first: 包邮 (priority 15) is the main wish, the material question came before it.
    expect(rules('这个什么材质，包邮吗')).toEqual(['商品咨询转人工', '包邮运费']);
    // The out-of-hours note stays first; one other question at most; one clause is one question.
    expect(rules('包邮吗？什么时候发货？发什么快递', { now: CLOSED })).toEqual(['下班时间提醒', '包邮运费', '发货时间']);
    expect(rules('什么时候发货包邮吗')).toEqual(['发货时间']);
    // A statement beside the request is context, not a second question.
    expect(rules('这款没货了，有货了告诉我')).toEqual(['到货登记']);
  });

  it('answers no second question after a handoff, nor a greeting or farewell beside the real answer', () => {
    const handoff = say('转人工，包邮吗');
    expect(handoff.replies.map((r) => r.rule)).toEqual(['转人工-工作时间']);
    expect(say('好的谢谢，那什么时候发货').replies.map((r) => r.rule)).toEqual(['发货时间']);
    expect(say('你好，包邮吗').replies.map((r) => r.rule)).toEqual(['包邮运费']);
    expect(say('你好，包邮吗').understood.also).toEqual([]);
    expect(say('什么时候发货？包邮吗').understood.also).toEqual([{ intent: 'faq.free_shipping', before: false }]);
  });

  it('falls back when nothing matches, and answers attachments', () => {
    expect(say('看了半天拿不定主意').replies.map((r) => r.rule)).toEqual([FALLBACK_RULE]);
    expect(say(null).replies.map((r) => r.rule)).toEqual(['收到图片或文件']);
  });

  it('matches Latin keywords as whole words only', () => {
    expect(say('hi').replies[0]!.rule).toBe('新客户问候');
    expect(say('shipping?').replies[0]!.rule).toBe(FALLBACK_RULE);
  });

  it('reports what it understood, whatever rule fired', () => {
    expect(say('我是学生没钱').understood).toMatchObject({ intent: 'bargain', type: 'sympathy' });
    expect(say('在吗？转人工').understood.intent).toBe('handoff');
    expect(say('看了半天拿不定主意').understood.intent).toBeNull();
  });
});

describe('handoff', () => {
  it('hands off, stays silent until the silence ends, then answers again', () => {
    const a = say('转人工');
    expect(a.handoff).toMatchObject({ rule: '转人工-工作时间' });
    const silent = say('看了半天拿不定主意', { state: a.state, now: new Date(OPEN.getTime() + 60_000) });
    expect(silent).toMatchObject({ silenced: true, replies: [], waiting: true, fired: [] }); // no fallback: the person reads it
    expect(silent.state.misses).toBe(0);
    const later = say('你好', { state: a.state, now: new Date(OPEN.getTime() + 121 * 60_000) });
    expect(later).toMatchObject({ silenced: false, waiting: false });
    expect(later.replies[0]!.rule).toBe('新客户问候');
  });

  it('handed over while the shop is closed, stays with a person until silenceMinutes after opening (as the customer was told)', () => {
    const a = say('转人工', { now: CLOSED }); // 00:00 Shanghai; open 09:00–23:00
    expect(a.handoff).toMatchObject({ rule: '转人工-非工作时间' });
    expect(a.state.handoffUntil).toBe(Date.parse('2026-11-28T01:00:00Z') + 120 * 60_000); // 09:00 Shanghai + 120 min
    expect(say('什么时候发货', { state: a.state, now: new Date('2026-11-28T00:30:00Z') })).toMatchObject({ silenced: true, replies: [] }); // 08:30
    expect(say('什么时候发货', { state: a.state, now: new Date('2026-11-28T03:01:00Z') }).replies[0]!.rule).toBe('发货时间');
  });

  it('handed over just before closing, keeps what is left of silenceMinutes for after the next opening', () => {
    const a = say('转人工', { now: new Date('2026-11-27T14:30:00Z') }); // 22:30 Shanghai: 30 minutes before closing
    expect(a.state.handoffUntil).toBe(Date.parse('2026-11-28T01:00:00Z') + 90 * 60_000); // 09:00 + the other 90
  });

  it('tells a waiting customer who asks whether anyone is there that staff were reminded, at most every 10 minutes, and never once a person has it', () => {
    const a = say('转人工');
    const at = (minutes: number) => new Date(OPEN.getTime() + minutes * 60_000);
    const chased = say('有人吗', { state: a.state, now: at(2) });
    expect(chased).toMatchObject({ silenced: false, waiting: true, handoff: null });
    expect(chased.replies.map((r) => r.rule)).toEqual(['等待人工-催促']);
    expect(chased.alerts).toEqual([{ rule: '等待人工-催促', text: '顾客在等人工回复，又来问了，请尽快接待' }]);
    expect(chased.state.handoffUntil).toBe(a.state.handoffUntil); // the wait is not prolonged
    expect(say('人呢', { state: chased.state, now: at(11) })).toMatchObject({ silenced: true, replies: [], alerts: [] });
    expect(say('人呢', { state: chased.state, now: at(12) }).replies.map((r) => r.rule)).toEqual(['等待人工-催促']);
    // Someone at the desk took or answered it: silent whatever the customer says.
    expect(say('人呢', { state: { ...chased.state, handoffBy: '小王' }, now: at(30) })).toMatchObject({ silenced: true, waiting: false, replies: [] });
    // 微信客服 shops whose handoffs go to the WeCom client: the API may not write in that session.
    const inClient = decide({
      shop, playbook, message: { text: '人呢', kind: 'text', channel: 'wecomKf' },
      customer: { name: null, firstSeenAt: OPEN.getTime(), tags: [], tier: null },
      conversation: { isNew: false }, state: chased.state, now: at(30), random: () => 0, servedInClient: true,
    });
    expect(inClient).toMatchObject({ silenced: true, waiting: false, replies: [] });
  });

  it('hands off after two misses in a row, not after two misses apart', () => {
    const miss1 = say('看了半天拿不定主意');
    const hit = say('发票', { state: miss1.state });
    const miss2 = say('蓝色偏绿吗', { state: hit.state });
    expect(miss2.handoff).toBeNull();
    const miss3 = say('到底偏不偏', { state: miss2.state });
    expect(miss3.handoff).toMatchObject({ reason: '连续两次没听懂' });
    expect(miss3.state.handoffReason).toBe('连续两次没听懂'); // shown at the desk
  });
});

describe('templates', () => {
  it('uses a default after the bar and refuses to render a missing variable', () => {
    const t = parseTemplate('{{customer.name|亲}}，您好');
    expect(render(t, { 'customer.name': null })).toBe('亲，您好');
    expect(render(t, { 'customer.name': '王女士' })).toBe('王女士，您好');
    expect(render(parseTemplate('{{customer.name}}，您好'), {})).toBeNull();
  });

  it('skips variations whose variables have no value', () => {
    let state = emptyState();
    for (let i = 0; i < 10; i++) {
      const d = say('你好', { firstSeenAt: 0, state, random: 0.99 });
      expect(d.replies[0]!.text).not.toMatch(/\{\{|undefined|null/);
      state = d.state;
    }
  });
});

describe('shop-local time', () => {
  it('computes the day and minutes in the shop time zone, and hours that wrap midnight', () => {
    expect(localTime(CLOSED, 'Asia/Shanghai')).toEqual({ day: '2026-11-28', minutes: 0 });
    expect(isWithinHours(23 * 60, '20:00', '02:00')).toBe(true);
    expect(isWithinHours(3 * 60, '20:00', '02:00')).toBe(false);
    expect(isWithinHours(12 * 60, '09:00', '23:00')).toBe(true);
  });

  it('finds when a daily window next opens, and adds minutes of open time only', () => {
    const sh = (iso: string) => Date.parse(`${iso}+08:00`);
    const at = sh('2026-11-27T23:30:00');
    expect(nextStartOf(at, localTime(at, 'Asia/Shanghai'), '09:00', '23:00')).toBe(sh('2026-11-28T09:00:00'));
    expect(nextStartOf(sh('2026-11-27T08:00:00'), localTime(sh('2026-11-27T08:00:00'), 'Asia/Shanghai'), '09:00', '23:00')).toBe(sh('2026-11-27T09:00:00'));
    const add = (iso: string, from: string, to: string, m: number) => new Date(addMinutesWithin(sh(iso), 'Asia/Shanghai', from, to, m) + 8 * 3_600_000).toISOString().slice(0, 16);
    expect(add('2026-11-27T11:00:00', '09:00', '23:00', 120)).toBe('2026-11-27T13:00'); // open: plain
    expect(add('2026-11-27T22:30:00', '09:00', '23:00', 120)).toBe('2026-11-28T10:30'); // 30 before closing, 90 after opening
    expect(add('2026-11-28T02:00:00', '09:00', '23:00', 120)).toBe('2026-11-28T11:00'); // at night: from opening
    expect(add('2026-11-27T01:30:00', '20:00', '02:00', 60)).toBe('2026-11-27T20:30'); // a window past midnight
    expect(add('2026-11-27T03:00:00', '00:00', '00:00', 60)).toBe('2026-11-27T04:00'); // always open
  });
});

describe('order conditions on customer messages', () => {
  const dir = mkdtempSync(join(tmpdir(), 'xiaoer-order-msg-'));
  writeFileSync(join(dir, 'a.yml'), `rules:
  - name: 评价返现-还能评
    when: { keywords: [评价], reviewWindow: open }
    then: [{ reply: open }]
  - name: 评价返现-过期
    when: { keywords: [评价], reviewWindow: closed }
    then: [{ reply: closed }]
responses:
  open: [还能评价]
  closed: [已经过了评价期]
fallback: { reply: open }
`);
  const pb = loadPlaybooks(dir).playbook!;
  const ask = (order?: { signedAt: number | null }) => decide({
    shop, playbook: pb, message: { text: '评价还来得及吗', kind: 'text', channel: 'local' },
    ...(order ? { order: { id: 'O1', state: 'signed', total: 99, items: [], ...order } } : {}),
    customer: { name: null, firstSeenAt: OPEN.getTime(), tags: [], tier: null },
    conversation: { isNew: false }, state: emptyState(), now: OPEN, random: () => 0,
  }).fired;

  it('reads the review window of the order in view, and no window at all without an order', () => {
    expect(ask({ signedAt: OPEN.getTime() - 3 * 86_400_000 })).toEqual(['评价返现-还能评']);
    expect(ask({ signedAt: OPEN.getTime() - 20 * 86_400_000 })).toEqual(['评价返现-过期']);
    expect(ask()).toEqual([FALLBACK_RULE]); // not "closed": this customer has no order to review
  });

  it('names the order in the handoff reason staff see (templates in reasons), and checks them at load', () => {
    const d = decide({
      shop, playbook, message: { text: '怎么还没收到', kind: 'text', channel: 'local' },
      order: { id: '4012345678', state: 'signed', total: 99, items: [], signedAt: OPEN.getTime() - 86_400_000 },
      customer: { name: null, firstSeenAt: OPEN.getTime(), tags: [], tier: null },
      conversation: { isNew: false }, state: emptyState(), now: OPEN, random: () => 0,
    });
    expect(d.handoff).toEqual({ rule: '查询物流-已签收', reason: '查物流：订单 4012345678 显示已签收，顾客说还没收到' });
    expect(d.state.handoffReason).toBe('查物流：订单 4012345678 显示已签收，顾客说还没收到');
    const bad = mkdtempSync(join(tmpdir(), 'xiaoer-reason-'));
    writeFileSync(join(bad, 'a.yml'), 'rules:\n  - name: 转\n    when: { keywords: [人工] }\n    then: [{ handoff: { reason: "订单 {{order.idd}}" } }]\n');
    expect(loadPlaybooks(bad, bad).problems.filter((p) => p.severity === 'error')).toEqual([expect.objectContaining({
      file: 'a.yml', line: 4, field: 'rules.0.then.0.handoff.reason', message: expect.stringMatching(/^unknown template variable \{\{order\.idd\}\}/),
    })]);
  });
});
