import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { listAlerts } from '../../src/db/alerts.js';
import { listJobs } from '../../src/db/jobs.js';
import { listHandedOff } from '../../src/db/conversations.js';
import { getOrder } from '../../src/db/orders.js';
import { listOutbox } from '../../src/db/outbox.js';
import { orderEventSignature } from '../../src/http/orders.js';
import { DIALECTS, freshDatabaseUrl } from '../helpers/db.js';
import { FakePlatforms } from '../helpers/fake-platforms.js';
import { receiveEvent, signedEncrypted } from '../helpers/feishu.js';
import { FEISHU, startService, writeConfig } from '../helpers/service.js';
import type { TestService } from '../helpers/service.js';
import { postOrderEvent } from '../helpers/orders.js';

const SECRET = 'order-webhook-secret-0123456789';
/** Shanghai local time on 2026-11-27 (UTC+8). */
const local = (hhmm: string, day = 27) => Date.parse(`2026-11-${day}T${hhmm}:00+08:00`);

describe.each(DIALECTS)('order care end to end (%s)', (dialect) => {
  let fake: FakePlatforms;
  let svc: TestService;
  let clock: number;
  let db: { url: string; cleanup(): Promise<void> };
  let seen = 0;
  const config = () => writeConfig({ extra: `    orderWebhookSecret: ${SECRET}\n`, businessHours: '{ from: "09:00", to: "23:00" }' });

  beforeAll(async () => {
    fake = await new FakePlatforms().start();
  });
  afterAll(() => fake.stop());
  beforeEach(async () => {
    fake.reset();
    seen = 0;
    clock = local('10:00');
    db = await freshDatabaseUrl(dialect, join(mkdtempSync(join(tmpdir(), 'xiaoer-orders-')), 'x.db')); // a file: restarts keep it
    svc = await startService({ databaseUrl: db.url, feishuBase: fake.base, now: () => new Date(clock), random: () => 0, configFile: config() });
  });
  afterEach(async () => {
    await svc.close();
    await db.cleanup();
  });

  let n = 0;
  async function event(type: string, order: string, user: string, extra: Record<string, unknown> = {}, id = `evt-${++n}`) {
    const res = await postOrderEvent(svc.url, SECRET, { id, type, at: clock, order: { id: order, customer: { channel: 'feishu', userId: user }, ...extra } });
    await settle();
    return { status: res.status, body: await res.json() as Record<string, unknown>, id };
  }
  async function at(time: number) {
    clock = time;
    await settle();
  }
  async function settle() {
    await svc.service.jobs.tick();
    await svc.service.worker.tick();
    await svc.service.worker.idle();
  }
  /** Messages that reached the platform since the last call: [customer, text]. */
  function newlySent(): [string, string][] {
    const out = fake.delivered.slice(seen).map((d) => [d.receiveId, d.text] as [string, string]);
    seen = fake.delivered.length;
    return out;
  }

  it('walks an order from created to a 5★ review: 催付 cancelled by payment, quiet hours, duplicates, out of order', async () => {
    expect((await event('order.created', 'O1', 'ou_a')).status).toBe(202);
    expect(newlySent()).toEqual([]);
    await at(local('10:10'));
    const paid = await event('order.paid', 'O1', 'ou_a');
    expect(newlySent()).toEqual([['ou_a', expect.stringMatching(/付款成功|收到您的付款/)]]);
    const again = await fetchAgain(paid.id);
    expect(again).toBe(200);
    await at(local('10:31'));
    await at(local('10:00', 28));
    expect(newlySent()).toEqual([]); // both 催付 reminders were cancelled by the payment
    clock = local('11:00');
    await event('order.shipped', 'O1', 'ou_a', { courier: '中通快递', trackingNo: '7312345678' });
    expect(newlySent()).toEqual([['ou_a', expect.stringContaining('已经发货')]]);
    const late = await event('order.paid', 'O1', 'ou_a');
    expect(late.body).toMatchObject({ status: 'ignored', reason: expect.stringMatching(/backwards/) });
    expect(newlySent()).toEqual([]);
    await at(local('21:00'));
    await event('order.arrived', 'O1', 'ou_a');
    expect(newlySent()).toEqual([['ou_a', expect.stringContaining('派送')]]);
    await at(local('22:30'));
    const signed = await event('order.signed', 'O1', 'ou_a');
    expect(newlySent()).toEqual([]); // quiet hours: waits for 08:00
    expect(signed.body.held).toEqual([{ rule: '签收关怀', reason: expect.stringMatching(/quiet hours/), until: new Date(local('08:00', 28)).toISOString() }]);
    await at(local('07:59', 28));
    expect(newlySent()).toEqual([]);
    await at(local('08:00', 28));
    expect(newlySent()).toEqual([['ou_a', expect.stringContaining('签收')]]);
    await at(local('12:00', 29)); // sign-for + 2 days (22:30) is in quiet hours → 08:00 next day
    await at(local('08:00', 30));
    expect(newlySent()).toEqual([['ou_a', expect.stringContaining('满意吗')]]);
    await at(local('10:00', 30));
    await event('order.reviewed', 'O1', 'ou_a', { review: { rating: 5, text: '很好' } });
    expect(newlySent()).toEqual([['ou_a', expect.stringMatching(/好评|肯定/)]]);
    const pending = await listJobs(svc.service.db.db, { shopId: 'acme', states: ['pending'] });
    expect(pending.map((j) => j.rule)).toEqual(['客户回访']);
  });

  it('an order not arrived five days after shipping alerts staff, and says nothing to the customer', async () => {
    await event('order.shipped', 'O7', 'ou_g', { courier: '圆通速递', trackingNo: 'YT9988' });
    expect(newlySent()).toEqual([['ou_g', expect.stringContaining('已经发货')]]);
    await event('order.shipped', 'O8', 'ou_h');
    await event('order.arrived', 'O8', 'ou_h'); // this one arrives: its check is cancelled
    newlySent();
    await at(clock + 5 * 86_400_000 + 60_000);
    expect(newlySent()).toEqual([]);
    const alerts = await listAlerts(svc.service.db.db, 'acme');
    expect(alerts.map((a) => [a.kind, a.rule])).toEqual([['rule', '物流停滞提醒']]);
    expect(alerts[0]!.text).toMatch(/^物流停滞：订单 O7 发货 5 天仍未到达（圆通速递 YT9988）.*（订单 O7 的顾客 ou_g（feishu））$/);
  });

  it('logistics exceptions: the customer is told what helps, staff what needs a person, and the order keeps its state', async () => {
    await event('order.shipped', 'O9', 'ou_i', { courier: '中通快递', trackingNo: 'ZT9' });
    newlySent();
    const missing = await event('order.exception', 'O9', 'ou_i');
    expect(missing.status).toBe(400);
    expect(missing.body.reason).toMatch(/^order\.exception: order\.exception events need/);
    await event('order.exception', 'O9', 'ou_i', { exception: { kind: 'signed_by_other', note: '快递驿站代收' } });
    expect(newlySent()).toEqual([['ou_i', expect.stringContaining('已由他人代签收')]]);
    expect(await listAlerts(svc.service.db.db, 'acme')).toEqual([]);
    await event('order.exception', 'O9', 'ou_i', { exception: { kind: 'refused' } });
    expect(newlySent()).toEqual([]);
    const [alert] = await listAlerts(svc.service.db.db, 'acme');
    expect(alert!.text).toMatch(/^拒收：订单 O9 的包裹被拒收（快递说明：无）/);
    expect((await getOrder(svc.service.db.db, 'acme', 'O9'))).toMatchObject({ state: 'shipped', data: { exception: { kind: 'refused' } } });
    await event('order.closed', 'O9', 'ou_i');
    const late = await event('order.exception', 'O9', 'ou_i', { exception: { kind: 'stalled' } });
    expect(late.body).toMatchObject({ status: 'ignored', reason: 'order is already closed' });
  });

  it('a refund request: the customer is asked what went wrong, staff are alerted, marketing follow-ups stop; their answer reaches staff too', async () => {
    await event('order.signed', 'O10', 'ou_r', { items: [{ title: '羊毛围巾', qty: 1, price: 129 }], total: 129 });
    newlySent();
    expect((await listJobs(svc.service.db.db, { shopId: 'acme', states: ['pending'] })).map((j) => j.rule)).toEqual(['评价邀请', '客户回访']);
    const req = await event('order.refund_requested', 'O10', 'ou_r', { items: [{ title: '羊毛围巾', qty: 1, price: 129 }], total: 129, refund: { reason: '不想要了' } });
    expect(req.body).toMatchObject({ status: 'accepted', rules: ['退款申请'] });
    expect(newlySent()).toEqual([['ou_r', expect.stringMatching(/羊毛围巾.*退款申请.*哪里不满意/)]]);
    expect(await listJobs(svc.service.db.db, { shopId: 'acme', states: ['pending'] })).toEqual([]);
    expect((await getOrder(svc.service.db.db, 'acme', 'O10'))).toMatchObject({ state: 'signed', data: { refund: { reason: '不想要了' } } });
    expect((await listAlerts(svc.service.db.db, 'acme')).map((a) => a.text)).toEqual([expect.stringMatching(/^退款申请：订单 O10「羊毛围巾」，顾客说明：不想要了。/)]);
    await say('围巾起球很厉害，戴了两天就不能看了', 'ou_r', 'oc_r');
    expect(newlySent()).toEqual([['oc_r', expect.stringContaining('转给售后同事')]]);
    const alerts = await listAlerts(svc.service.db.db, 'acme');
    expect(alerts[0]!.text).toMatch(/^退款原因：顾客补充了退款的原因/);
    expect(alerts[0]!.transcript.map((t) => t.text)).toContain('围巾起球很厉害，戴了两天就不能看了');
    await event('order.refunded', 'O10', 'ou_r');
    const late = await event('order.refund_requested', 'O10', 'ou_r');
    expect(late.body).toMatchObject({ status: 'ignored', reason: 'order is already refunded' });
  });

  it('a customer the shop wrote to first goes on where those messages left off when they answer in their own chat', async () => {
    // A 1★ review from a customer who never wrote: the apology goes out and a person takes over.
    await event('order.reviewed', 'O11', 'ou_s', { review: { rating: 1, text: '质量太差' } });
    expect(newlySent()).toEqual([['ou_s', expect.stringContaining('非常抱歉')]]);
    // Their first message, in the chat Feishu gives it: the bot stays quiet for the person (the
    // 1★ handoff carries over) but for its word that they are waited for, and the chat is at the desk.
    await say('你们什么态度，我要投诉', 'ou_s', 'oc_s');
    expect(newlySent()).toEqual([['oc_s', expect.stringMatching(/稍等|安排|人工/)]]);
    expect((await listHandedOff(svc.service.db.db, clock, 'acme')).map((c) => c.key)).toContain('feishu:oc_s:ou_s');
    await say('质量真的很差', 'ou_s', 'oc_s');
    expect(newlySent()).toEqual([]);
  });

  it('a question held for the morning is awaited from when it is sent, not while it waits', async () => {
    await event('order.signed', 'O15', 'ou_t', { items: [{ title: '羊毛围巾', qty: 1, price: 129 }], total: 129 });
    await say('你好', 'ou_t', 'oc_t');
    newlySent();
    clock = local('23:00');
    await event('order.refund_requested', 'O15', 'ou_t', { items: [{ title: '羊毛围巾', qty: 1, price: 129 }], total: 129 });
    expect(newlySent()).toEqual([]); // quiet hours: the question waits for 08:00
    await say('围巾起球很厉害，戴了两天就不能看了', 'ou_t', 'oc_t');
    const night = newlySent();
    expect(night.length).toBeGreaterThan(0); // answered (the night notice, the fallback)…
    expect(night.some(([, text]) => text.includes('转给售后同事'))).toBe(false); // …but not as the answer to a question not yet asked
    await at(local('08:00', 28));
    expect(newlySent()).toEqual([['ou_t', expect.stringMatching(/退款申请.*哪里不满意/)]]);
    await say('围巾起球很厉害，戴了两天就不能看了', 'ou_t', 'oc_t');
    expect(newlySent().map(([, text]) => text)).toEqual([expect.stringContaining('09:00 上线'), expect.stringContaining('转给售后同事')]); // before opening hours: the notice first
  });

  it('payment is checked again just before a 催付 goes out: after quiet hours, and before a retried send', async () => {
    // O12 at 21:45: its first reminder falls in quiet hours and waits for 08:00. At 23:00 the
    // customer orders again and pays that one (one purchase, two orders): O12 is not chased.
    clock = local('21:45');
    await event('order.created', 'O12', 'ou_p');
    await at(local('22:16'));
    expect(newlySent()).toEqual([]);
    clock = local('23:00');
    await event('order.created', 'O13', 'ou_p');
    await event('order.paid', 'O13', 'ou_p');
    newlySent();
    await at(local('08:00', 28));
    expect(newlySent()).toEqual([['ou_p', expect.stringMatching(/付款成功/)]]); // O13's thanks, held for the morning; no 催付 for O12
    const skipped = await listJobs(svc.service.db.db, { shopId: 'acme', states: ['skipped'], latest: true });
    expect(skipped.find((j) => j.orderId === 'O12' && j.rule === '催付-首次提醒')?.reason).toBe('the customer paid another order since O12: 催付-首次提醒 no longer applies');

    // O14's reminder meets a platform error; the customer pays before the retry: it stays unsent.
    clock = local('10:00', 28);
    await event('order.created', 'O14', 'ou_q');
    fake.script = [500];
    await at(local('10:31', 28));
    expect(newlySent()).toEqual([]);
    await event('order.paid', 'O14', 'ou_q');
    expect(newlySent()).toEqual([['ou_q', expect.stringMatching(/付款成功|收到您的付款/)]]);
    await at(local('10:35', 28));
    expect(newlySent()).toEqual([]);
    const row = (await listOutbox(svc.service.db.db, 'acme')).find((r) => r.message.orderId === 'O14' && r.message.rule === '催付-首次提醒');
    expect(row).toMatchObject({ state: 'skipped', lastError: 'order O14 is paid now: 催付-首次提醒 no longer applies' });
  });

  /** A customer's message through the Feishu webhook, as Feishu sends it. */
  async function say(text: string, openId: string, chatId: string) {
    const m = signedEncrypted(receiveEvent({ token: FEISHU.verificationToken, text, openId, chatId }), FEISHU.encryptKey, Math.floor(clock / 1000));
    expect((await fetch(`${svc.url}/webhooks/feishu/acme`, { method: 'POST', body: new Uint8Array(m.body), headers: m.headers })).status).toBe(200);
    await settle();
  }

  it('查物流 is answered from the customer\'s own order: the one they name, else their latest under way; never from another customer\'s', async () => {
    await event('order.shipped', '4012345678', 'ou_m', { courier: '中通快递', trackingNo: 'ZT20' });
    await at(clock + 60_000);
    await event('order.paid', '4012349999', 'ou_m');
    await event('order.shipped', '4087654321', 'ou_n', { courier: '顺丰速运', trackingNo: 'SF21' });
    newlySent();
    await say('我的快递到哪了', 'ou_m', 'oc_m');
    expect(newlySent()).toEqual([['oc_m', expect.stringMatching(/^亲，订单 4012349999 已经付款成功/)]]); // the latest
    await at(clock + 60_000);
    await event('order.created', '4012340001', 'ou_m');
    await event('order.closed', '4012340001', 'ou_m'); // changed last, but no parcel is coming for it
    newlySent();
    await say('发货了吗', 'ou_m', 'oc_m');
    expect(newlySent()).toEqual([['oc_m', expect.stringMatching(/^亲，订单 4012349999 已经付款成功/)]]); // the latest under way
    await say('4012345678 发货了吗', 'ou_m', 'oc_m');
    expect(newlySent()).toEqual([['oc_m', expect.stringMatching(/订单 4012345678 已经发货啦，中通快递运单号 ZT20/)]]);
    await say('4087654321 到哪了', 'ou_m', 'oc_m'); // ou_n's order
    const [[to, text]] = newlySent() as [[string, string]];
    expect([to, text]).toEqual(['oc_m', expect.stringContaining('单号已经转给客服')]);
    expect(text).not.toMatch(/SF21|顺丰/);
    const [alert] = await listAlerts(svc.service.db.db, 'acme');
    expect(alert).toMatchObject({ kind: 'handoff', rule: '查询物流-带单号', customerId: 'ou_m' });
  });

  it('查物流 does not answer from an order untouched for 30 days: the bot asks which order', async () => {
    await event('order.shipped', '4012340000', 'ou_p', { courier: '中通快递', trackingNo: 'ZT30' });
    await at(clock + 31 * 86_400_000);
    newlySent();
    await say('我的快递到哪了', 'ou_p', 'oc_p');
    const sent = newlySent().filter(([to]) => to === 'oc_p');
    expect(sent).toEqual([['oc_p', expect.stringMatching(/订单号/)]]);
    expect(sent[0]![1]).not.toContain('ZT30');
  });

  it('a 1★ review apologises, hands the conversation to a person and alerts staff with the review', async () => {
    await event('order.signed', 'O2', 'ou_b');
    newlySent();
    await at(local('12:00'));
    await event('order.reviewed', 'O2', 'ou_b', { review: { rating: 1, text: '颜色和图片差太多' } });
    expect(newlySent()).toEqual([['ou_b', expect.stringContaining('非常抱歉')]]);
    const [alert] = await listAlerts(svc.service.db.db, 'acme');
    expect(alert).toMatchObject({ kind: 'bad_review', customerId: 'ou_b' });
    expect(alert!.text).toMatch(/差评.*O2.*1 星/);
    expect(alert!.transcript).toEqual([{ who: 'customer', text: '1★ 颜色和图片差太多' }]);
  });

  it('a good review that names a problem is taken seriously and shown to staff', async () => {
    await event('order.signed', 'O10', 'ou_j');
    newlySent();
    await at(local('12:00'));
    await event('order.reviewed', 'O10', 'ou_j', { review: { rating: 4, text: '挺好的，就是有点色差' } });
    expect(newlySent()).toEqual([['ou_j', expect.stringContaining('您提到的问题我们很重视')]]);
    const [alert] = await listAlerts(svc.service.db.db, 'acme');
    expect(alert).toMatchObject({ kind: 'rule', rule: '评价提到问题' });
    expect(alert!.text).toMatch(/订单 O10 的评价「挺好的，就是有点色差」/);
  });

  it('two orders for one purchase, one paid: the other is not chased; a customer paid before it still is', async () => {
    await event('order.created', 'O11', 'ou_k');
    await event('order.created', 'O12', 'ou_k'); // the same purchase twice
    await event('order.created', 'O13', 'ou_m');
    await at(local('10:05'));
    await event('order.paid', 'O11', 'ou_k');
    newlySent();
    await at(local('10:31'));
    expect(newlySent()).toEqual([['ou_m', expect.stringContaining('纯棉T恤')]]);
    const done = await listJobs(svc.service.db.db, { shopId: 'acme', states: ['done'] });
    expect(done.filter((j) => j.orderId === 'O12').map((j) => [j.rule, j.reason])).toEqual([['催付-首次提醒', expect.stringMatching(/conditions no longer hold/)]]);
    // ou_k's later order, placed after that payment, is chased as usual.
    await at(local('11:00'));
    await event('order.created', 'O14', 'ou_k');
    await at(local('11:31'));
    expect(newlySent()).toEqual([['ou_k', expect.stringContaining('纯棉T恤')]]);
  });

  it('a flash-sale order closing in 30 minutes is reminded at 25, and nothing is planned past its close', async () => {
    await event('order.created', 'O15', 'ou_n', { closesAt: new Date(clock + 30 * 60_000).toISOString() });
    await at(local('10:24'));
    expect(newlySent()).toEqual([]);
    await at(local('10:25'));
    expect(newlySent()).toEqual([['ou_n', expect.stringContaining('纯棉T恤')]]);
    const pending = await listJobs(svc.service.db.db, { shopId: 'acme', states: ['pending'] });
    expect(pending.filter((j) => j.orderId === 'O15')).toEqual([]); // no next-day or before-close reminder for an order closed by then
  });

  it('caps proactive messages per customer per day, recording the skipped one', async () => {
    const answers = [];
    for (const type of ['order.paid', 'order.shipped', 'order.arrived', 'order.signed']) answers.push((await event(type, 'O3', 'ou_c')).body);
    expect(newlySent()).toHaveLength(3);
    // The order system hears which message was held and why.
    expect(answers[0]).toEqual({ status: 'accepted', rules: ['付款感谢'], held: [] });
    expect(answers[3]).toEqual({ status: 'accepted', rules: ['签收关怀'], held: [{ rule: '签收关怀', reason: expect.stringMatching(/daily cap: 3/) }] });
    const skipped = (await listJobs(svc.service.db.db, { shopId: 'acme', states: ['skipped'] }));
    expect(skipped.map((j) => [j.rule, j.reason])).toEqual([['签收关怀', expect.stringMatching(/daily cap: 3/)]]);
  });

  it('an opted-out customer gets no 催付, but still gets shipping care', async () => {
    const td = signedEncrypted(receiveEvent({ token: FEISHU.verificationToken, text: 'TD', openId: 'ou_d', chatId: 'oc_d' }), FEISHU.encryptKey, Math.floor(clock / 1000));
    await fetch(`${svc.url}/webhooks/feishu/acme`, { method: 'POST', body: new Uint8Array(td.body), headers: td.headers });
    await settle();
    expect(newlySent()).toEqual([['oc_d', expect.stringContaining('已为您退订')]]);
    await event('order.created', 'O4', 'ou_d');
    await at(local('10:31'));
    expect(newlySent()).toEqual([]);
    const jobs = await listJobs(svc.service.db.db, { shopId: 'acme', states: ['skipped'] });
    expect(jobs.map((j) => [j.rule, j.reason])).toEqual([['催付-首次提醒', expect.stringMatching(/opted out/)]]);
    await event('order.shipped', 'O4', 'ou_d', { courier: '圆通', trackingNo: 'YT1' });
    expect(newlySent()).toEqual([['ou_d', expect.stringContaining('已经发货')]]); // proactive: to the customer's open_id
  });

  it('a restart between scheduling and sending loses nothing and sends once; stale reminders are dropped', async () => {
    await event('order.created', 'O5', 'ou_e');
    await event('order.created', 'O6', 'ou_f');
    await svc.close();
    clock = local('10:31');
    svc = await startService({ databaseUrl: db.url, feishuBase: fake.base, now: () => new Date(clock), random: () => 0, configFile: config() });
    await settle();
    await settle();
    expect(newlySent().sort()).toEqual([['ou_e', expect.stringContaining('纯棉T恤')], ['ou_f', expect.stringContaining('纯棉T恤')]]);
    // The next-morning reminders: the service is down until the afternoon; they are stale by then.
    await svc.close();
    clock = local('15:00', 28);
    svc = await startService({ databaseUrl: db.url, feishuBase: fake.base, now: () => new Date(clock), random: () => 0, configFile: config() });
    await settle();
    expect(newlySent()).toEqual([]);
    const stale = await listJobs(svc.service.db.db, { shopId: 'acme', states: ['skipped'] });
    expect(stale.map((j) => [j.rule, j.reason])).toEqual([
      ['催付-次日提醒', expect.stringMatching(/^stale/)], ['催付-次日提醒', expect.stringMatching(/^stale/)],
    ]);
  });

  it('refuses unsigned, stale and malformed events with a reason, and writes nothing', async () => {
    const body = JSON.stringify({ id: 'x', type: 'order.paid', occurredAt: new Date(clock).toISOString(), order: { id: 'O9', customer: { channel: 'feishu', userId: 'u' }, items: [{ title: 't', qty: 1, price: 1 }], total: 1 } });
    const post = (b: string, ts: string, sig: string) => fetch(`${svc.url}/events/orders/acme`, { method: 'POST', body: b, headers: { 'x-xiaoer-timestamp': ts, 'x-xiaoer-signature': sig } });
    const now = String(Math.floor(clock / 1000));
    expect((await post(body, now, 'sha256=00')).status).toBe(401);
    const old = String(Math.floor(clock / 1000) - 301);
    expect((await post(body, old, orderEventSignature(SECRET, old, Buffer.from(body)))).status).toBe(401);
    const bad = body.replace('"total":1', '"total":"lots"');
    const res = await post(bad, now, orderEventSignature(SECRET, now, Buffer.from(bad)));
    expect(res.status).toBe(400);
    expect((await res.json()).reason).toMatch(/^order\.total:/);
    expect(await svc.service.db.db.selectFrom('orders').selectAll().execute()).toEqual([]);
  });

  async function fetchAgain(id: string): Promise<number> {
    const res = await postOrderEvent(svc.url, SECRET, { id, type: 'order.paid', at: clock, order: { id: 'O1', customer: { channel: 'feishu', userId: 'ou_a' } } });
    await settle();
    expect(newlySent()).toEqual([]);
    return res.status;
  }
});
