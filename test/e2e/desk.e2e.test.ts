import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DESK_MAX_FAILURES, DESK_MAX_SHOP_FAILURES } from '../../src/http/desk-auth.js';
import { DIALECTS, freshDatabaseUrl } from '../helpers/db.js';
import { FakePlatforms } from '../helpers/fake-platforms.js';
import { postOrderEvent } from '../helpers/orders.js';
import { receiveEvent, signedEncrypted } from '../helpers/feishu.js';
import { FEISHU, LOCAL_TOKEN, localChat, startService, writeConfig } from '../helpers/service.js';
import type { TestService } from '../helpers/service.js';

const PASSWORD = 'desk-password-0123';
const ORDER_SECRET = 'order-webhook-secret-0123456789';
const START = Date.parse('2026-11-27T11:00:00+08:00');
const basic = (name: string, password = PASSWORD) => `Basic ${Buffer.from(`${name}:${password}`, 'utf8').toString('base64')}`;

interface Conv {
  id: number; key: string; handoffUntil: number | null; staff: string | null; reason: string | null; customer: { userId: string; tags?: string[] };
  last: { direction: string; text: string } | null; waiting: { since: number; text: string | null } | null;
}
interface Msg { direction: string; text: string; rule: string | null; response: string | null; delivery: string | null; error: string | null }

/** The staff desk against the real service: a Feishu customer handed to a person, who answers from the desk. */
describe.each(DIALECTS)('staff desk (%s)', (dialect) => {
  let fake: FakePlatforms;
  let svc: TestService;
  let clock: number;
  let db: { url: string; cleanup(): Promise<void> };

  beforeAll(async () => {
    fake = await new FakePlatforms().start();
  });
  afterAll(() => fake.stop());
  beforeEach(async () => {
    fake.reset();
    clock = START;
    db = await freshDatabaseUrl(dialect, join(mkdtempSync(join(tmpdir(), 'xiaoer-desk-')), 'x.db'));
    const configFile = writeConfig({ extra: `    desk: { password: ${PASSWORD} }\n    orderWebhookSecret: ${ORDER_SECRET}\n`, businessHours: '{ from: "09:00", to: "23:00" }' });
    svc = await startService({ databaseUrl: db.url, feishuBase: fake.base, now: () => new Date(clock), random: () => 0, configFile });
  });
  afterEach(async () => {
    await svc.close();
    await db.cleanup();
  });

  async function settle() {
    await svc.service.worker.tick();
    await svc.service.worker.idle();
  }
  async function says(text: string, user = 'ou_buyer', chat = 'oc_group_7') {
    const e = signedEncrypted(receiveEvent({ token: FEISHU.verificationToken, text, openId: user, chatId: chat }), FEISHU.encryptKey, Math.floor(clock / 1000));
    const res = await fetch(`${svc.url}/webhooks/feishu/acme`, { method: 'POST', body: new Uint8Array(e.body), headers: e.headers });
    expect(res.status).toBe(200);
    await settle();
  }
  const desk = (path: string, o: { name?: string; password?: string; body?: unknown; csrf?: boolean; type?: string } = {}) => fetch(`${svc.url}/desk/acme${path}`, {
    method: o.body === undefined ? 'GET' : 'POST',
    headers: {
      ...(o.name !== undefined || o.password !== undefined ? { authorization: basic(o.name ?? '小王', o.password) } : {}),
      ...(o.body !== undefined ? { 'content-type': o.type ?? 'application/json', ...(o.csrf === false ? {} : { 'x-xiaoer-desk': '1' }) } : {}),
    },
    ...(o.body !== undefined ? { body: typeof o.body === 'string' ? o.body : JSON.stringify(o.body) } : {}),
  });
  const asStaff = { name: '小王' };
  const waiting = async () => ((await (await desk('/api/conversations', asStaff)).json()) as { conversations: Conv[] }).conversations;
  const transcript = async (id: number) => ((await (await desk(`/api/conversations/${id}`, asStaff)).json()) as { messages: Msg[] }).messages;
  const count = async (table: 'messages' | 'outbox') =>
    Number((await svc.service.db.db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);

  it('a person answers a handed-off customer from the desk, in the chat the customer wrote in, and the bot stays quiet until released', async () => {
    await says('你好');
    await says('转人工');
    const [c] = await waiting();
    expect(c).toMatchObject({ key: 'feishu:oc_group_7:ou_buyer', customer: { userId: 'ou_buyer' } });
    expect(c!.handoffUntil).toBeGreaterThan(clock);
    expect(c!.staff).toBeNull(); // the bot handed it over; nobody at the desk has it yet
    expect(c!.reason).toBe('顾客要求人工'); // why: staff know what to do first
    // The bot's handoff reply came last, but it answers nothing: the customer waits for a person.
    expect(c!.last).toMatchObject({ direction: 'out' });
    expect(c!.waiting).toEqual({ since: clock, text: '转人工' });
    const handedOffAt = clock;

    clock += 60_000;
    await says('我买的杯子颜色不对');
    expect(fake.delivered).toHaveLength(2); // greeting and the handoff reply; the bot says nothing now
    expect((await waiting())[0]!.last).toMatchObject({ direction: 'in', text: '我买的杯子颜色不对' });
    expect((await waiting())[0]!.waiting).toEqual({ since: handedOffAt, text: '我买的杯子颜色不对' }); // waiting since 转人工

    const sent = await desk(`/api/conversations/${c!.id}/reply`, { ...asStaff, body: { text: '亲，我是客服小王，麻烦发一张杯子的照片给我～' } });
    expect(sent.status).toBe(202);
    await settle();
    expect(fake.delivered).toHaveLength(3);
    expect(fake.delivered[2]).toMatchObject({ receiveIdType: 'chat_id', receiveId: 'oc_group_7', text: '亲，我是客服小王，麻烦发一张杯子的照片给我～' });
    expect(fake.delivered[2]!.uuid).toMatch(/^[0-9a-f]{32}$/);
    expect((await transcript(c!.id)).at(-1)).toMatchObject({ direction: 'out', rule: '(staff)', response: '小王', delivery: 'sent' });
    expect((await waiting())[0]!.staff).toBe('小王'); // colleagues see who is answering
    expect((await waiting())[0]!.waiting).toBeNull(); // answered

    // The reply keeps the conversation with the person: the customer's answer gets no bot reply.
    clock += 100 * 60_000; // past the first handoff's 120 minutes, within the staff reply's
    await says('好的');
    expect(fake.delivered).toHaveLength(3);
    expect((await waiting())[0]!.waiting).toEqual({ since: clock, text: '好的' }); // a new message waits again

    const metrics = async () => (await fetch(`${svc.url}/metrics`)).text();
    expect(await metrics()).toMatch(/^xiaoer_conversations_with_person\{shop="acme"\} 1$/m);
    expect(await metrics()).toMatch(/^xiaoer_desk_actions_total\{shop="acme",action="reply"\} 1$/m);
    const released = await desk(`/api/conversations/${c!.id}/release`, { ...asStaff, body: {} });
    expect(released.status).toBe(200);
    expect(await waiting()).toEqual([]);
    expect(await metrics()).toMatch(/^xiaoer_conversations_with_person\{shop="acme"\} 0$/m);
    expect(await metrics()).toMatch(/^xiaoer_desk_actions_total\{shop="acme",action="release"\} 1$/m);
    await says('在吗');
    expect(fake.delivered).toHaveLength(4); // the bot answers again
    await says('还是转人工吧');
    expect((await waiting()).map((x) => [x.id, x.staff])).toEqual([[c!.id, null]]); // a new handoff: nobody has it yet
    await desk(`/api/conversations/${c!.id}/release`, { ...asStaff, body: {} });
    await says('我的快递到哪了');
    await says('4012345678901234'); // the order number the bot asked for: a person looks it up
    expect((await waiting()).map((x) => x.reason)).toEqual(['查物流：顾客发来了订单号']);
    const recent = ((await (await desk('/api/conversations?recent=1', asStaff)).json()) as { conversations: Conv[] }).conversations;
    expect(recent[0]!.reason).toBe('查物流：顾客发来了订单号');
    const alerts = await svc.service.db.db.selectFrom('alerts').select('transcript').where('kind', '=', 'handoff').orderBy('id', 'desc').executeTakeFirstOrThrow();
    expect(JSON.parse(alerts.transcript)).toContainEqual({ who: 'staff', name: '小王', text: '亲，我是客服小王，麻烦发一张杯子的照片给我～' }); // staff see who said what
  });

  it('lists the customers waiting for an answer first, the longest waiting first, then those answered', async () => {
    await says('转人工', 'ou_first', 'oc_first');
    clock += 60_000;
    await says('转人工', 'ou_second', 'oc_second');
    clock += 60_000;
    await says('转人工', 'ou_third', 'oc_third');
    const first = (await waiting()).find((x) => x.customer.userId === 'ou_first')!;
    expect((await desk(`/api/conversations/${first.id}/reply`, { ...asStaff, body: { text: '亲，我在' } })).status).toBe(202);
    clock += 60_000;
    await says('人工！', 'ou_third', 'oc_third'); // still the same wait: since the handoff
    expect((await waiting()).map((x) => x.customer.userId)).toEqual(['ou_second', 'ou_third', 'ou_first']);
  });

  it('a waiting customer who asks whether anyone is there hears that staff were reminded, and staff are; once a person answered, the bot says nothing', async () => {
    await says('转人工');
    const [c] = await waiting();
    clock += 2 * 60_000;
    await says('在吗？');
    expect(fake.delivered.map((m) => m.text)).toEqual([expect.stringMatching(/人工客服/), expect.stringMatching(/稍等/)]);
    const rows = await svc.service.db.db.selectFrom('alerts').select(['kind', 'rule', 'text']).orderBy('id').execute();
    expect(rows.map((r) => [r.kind, r.rule])).toEqual([['handoff', '转人工-工作时间'], ['rule', '等待人工-催促']]);
    expect(rows[1]!.text).toContain('顾客在等人工回复，又来问了');
    expect((await waiting())[0]!.waiting).toMatchObject({ text: '在吗？' }); // the bot's word is no answer: still waiting
    expect((await waiting())[0]!.handoffUntil).toBe(c!.handoffUntil); // the wait is not prolonged
    const longestWait = async () => Number(/^xiaoer_customer_longest_wait_seconds\{shop="acme"\} (\d+)$/m.exec(await (await fetch(`${svc.url}/metrics`)).text())?.[1]);
    expect(await longestWait()).toBe(120); // since 转人工: the bot's 请稍等 answered nothing

    expect((await desk(`/api/conversations/${c!.id}/reply`, { ...asStaff, body: { text: '亲，我是小王，您说～' } })).status).toBe(202);
    await settle();
    clock += 30 * 60_000;
    await says('在吗？');
    expect(fake.delivered).toHaveLength(3); // the handoff reply, 请稍等, 小王's reply: nothing from the bot over a person
    clock += 90_000;
    expect(await longestWait()).toBe(90); // the wait starts again at the message after 小王's reply
    const metrics = await (await fetch(`${svc.url}/metrics`)).text();
    expect(metrics).toMatch(/^xiaoer_messages_total\{shop="acme",outcome="waiting"\} 1$/m);
    expect(metrics).toMatch(/^xiaoer_messages_total\{shop="acme",outcome="silent"\} 1$/m);
  });

  it('shows the customer\'s latest orders beside the chat, with tracking and any logistics exception', async () => {
    const order = async (type: string, id: string, extra: Record<string, unknown> = {}) => {
      const res = await postOrderEvent(svc.url, ORDER_SECRET, {
        id: `${id}-${type}`, type, at: clock,
        order: { id, customer: { channel: 'feishu', userId: 'ou_buyer' }, items: [{ title: '保温杯', qty: 2, price: 59 }], total: 118, ...extra },
      });
      expect(res.status).toBe(202);
    };
    await order('order.paid', 'T100');
    clock += 60_000;
    await order('order.shipped', 'T100', { courier: '顺丰', trackingNo: 'SF123' });
    clock += 60_000;
    await order('order.exception', 'T100', { courier: '顺丰', trackingNo: 'SF123', exception: { kind: 'problem', note: '地址不详' } });
    clock += 60_000;
    await order('order.created', 'T200');
    await says('转人工');
    const [c] = await waiting();
    const detail = (await (await desk(`/api/conversations/${c!.id}`, asStaff)).json()) as { orders: Record<string, unknown>[] };
    expect(detail.orders.map((o) => [o.id, o.state])).toEqual([['T200', 'created'], ['T100', 'shipped']]);
    expect(detail.orders[1]).toMatchObject({ total: 118, courier: '顺丰', trackingNo: 'SF123', exception: { kind: 'problem', note: '地址不详' } });
  });

  it('offers the playbook\'s answers as quick replies (快捷语), filled in for this customer', async () => {
    const res = await fetch(`${svc.url}/webhooks/local/acme`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user: 'web-9', name: '李女士', text: '转人工' }) });
    expect(res.status).toBe(200);
    const [c] = await waiting();
    const { quickReplies } = (await (await desk(`/api/conversations/${c!.id}/quick-replies`, asStaff)).json()) as { quickReplies: { rules: string[]; response: string; texts: string[] }[] };
    expect(quickReplies.find((q) => q.response === 'shipping-time')).toEqual({
      rules: ['发货时间'], response: 'shipping-time', texts: [
        '亲，现货商品一般在付款后 48 小时内发出，预售商品以页面写明的时间为准。发货后会第一时间通知您～',
        '亲，付款后我们会尽快安排，现货一般 48 小时内发货；发出后您可以在订单里查看物流哦。',
      ],
    });
    const texts = quickReplies.flatMap((q) => q.texts);
    expect(texts.some((t) => t.startsWith('李女士，好久不见～ 感谢您一直以来对阿克米旗舰店的支持'))).toBe(true); // {{customer.name|亲}}, {{shop.name}}
    expect(texts.some((t) => t.includes('每天 09:00–23:00'))).toBe(true); // {{shop.hours.from}}–{{shop.hours.to}}
    expect(texts.every((t) => !t.includes('{{') && !t.includes('undefined'))).toBe(true);
    expect(quickReplies.map((q) => q.response)).not.toContain('pay-reminder-first'); // needs an order: not offered half filled
    const at = (name: string) => quickReplies.findIndex((q) => q.response === name);
    expect(at('shipping-time')).toBeGreaterThanOrEqual(0);
    expect(at('review-thanks')).toBeGreaterThanOrEqual(0);
    expect(at('shipping-time')).toBeLessThan(at('review-thanks')); // answers to questions before order care
  });

  it('staff tag and untag the customer (黑名单 stops 催付), with clear refusals', async () => {
    await says('转人工');
    const [c] = await waiting();
    const tags = (body: unknown) => desk(`/api/conversations/${c!.id}/tags`, { ...asStaff, body });
    expect(await (await tags({ add: ['黑名单', ' VIP '] })).json()).toEqual({ tags: ['黑名单', 'VIP'] });
    expect(await (await tags({ remove: ['黑名单'], add: ['老客户'] })).json()).toEqual({ tags: ['VIP', '老客户'] });
    expect((await waiting())[0]!.customer).toMatchObject({ tags: ['VIP', '老客户'] });
    for (const bad of [{}, { add: [] }, { add: '黑名单' }, { add: [''] }, { remove: ['x'.repeat(51)] }]) expect((await tags(bad)).status).toBe(400);
    const row = await svc.service.db.db.selectFrom('customers').select('tags').where('platform_user_id', '=', 'ou_buyer').executeTakeFirstOrThrow();
    expect(JSON.parse(row.tags)).toEqual(['VIP', '老客户']);
  });

  it('lists the chats customers wrote in most recently, newest first, the bot\'s included', async () => {
    await says('你好', 'ou_1', 'oc_1');
    clock += 1000;
    await says('你好', 'ou_2', 'oc_2');
    clock += 1000;
    await says('发货时间', 'ou_1', 'oc_1');
    const recent = ((await (await desk('/api/conversations?recent=1', asStaff)).json()) as { conversations: Conv[] }).conversations;
    expect(recent.map((x) => [x.key, x.handoffUntil])).toEqual([['feishu:oc_1:ou_1', null], ['feishu:oc_2:ou_2', null]]);
    expect(recent[0]!.last).toMatchObject({ direction: 'out' }); // the bot answered 发货时间
  });

  it('marks a customer message the bot answered on a guess (no phrase matched), and only that one', async () => {
    await says('么时候发货呀', 'ou_1', 'oc_1'); // a word short of any phrase
    clock += 1000;
    await says('什么时候发货', 'ou_1', 'oc_1');
    const [c] = ((await (await desk('/api/conversations?recent=1', asStaff)).json()) as { conversations: Conv[] }).conversations;
    const shown = (await transcript(c!.id)) as (Msg & { guess: { intent: string; score: number; ask?: string } | null })[];
    expect(shown.filter((m) => m.direction === 'in').map((m) => [m.text, m.guess?.intent ?? null])).toEqual([
      ['么时候发货呀', 'faq.shipping_time'], ['什么时候发货', null],
    ]);
    expect(shown.find((m) => m.guess)!.guess!.score).toBeGreaterThanOrEqual(0.55);
    expect(shown.find((m) => m.guess)!.guess!.ask).toBe('什么时候发货？'); // the question in the shop's words, for staff
    expect(shown.filter((m) => m.direction === 'out').every((m) => m.guess === null)).toBe(true);
  });

  it('staff can find a customer by id and take a conversation the bot is answering', async () => {
    await says('你好', 'ou_other', 'oc_other');
    expect(await waiting()).toEqual([]);
    const found = ((await (await desk('/api/conversations?customer=ou_other', asStaff)).json()) as { conversations: Conv[] }).conversations;
    expect(found.map((x) => x.key)).toEqual(['feishu:oc_other:ou_other']);
    expect(found[0]!.handoffUntil).toBeNull();

    expect((await desk(`/api/conversations/${found[0]!.id}/take`, { name: '小李', body: {} })).status).toBe(200);
    expect((await waiting()).map((x) => [x.id, x.staff])).toEqual([[found[0]!.id, '小李']]);
    await says('有优惠吗', 'ou_other', 'oc_other');
    expect(fake.delivered).toHaveLength(1); // only the greeting before staff took it
  });

  it('shows a reply the platform refused as not delivered, with the reason', async () => {
    await says('转人工');
    const [c] = await waiting();
    fake.script = [{ code: 230002 }]; // Feishu: the bot is not in the chat any more
    await desk(`/api/conversations/${c!.id}/reply`, { ...asStaff, body: { text: '亲，还在吗？' } });
    await settle();
    const last = (await transcript(c!.id)).at(-1)!;
    expect(last).toMatchObject({ rule: '(staff)', delivery: 'dead' });
    expect(last.error).toContain('230002');
  });

  it("shows the customer's photos and files, fetched from Feishu; never renders a customer's file as a page", async () => {
    const png = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8cfc0f01f0005000201ae4f0d3c0000000049454e44ae426082', 'hex');
    fake.media.set('img_v3_crack', { type: 'image/png', data: png });
    fake.media.set('file_v3_page', { type: 'text/html', data: Buffer.from('<script>alert(1)</script>') });
    const post = async (messageType: string, content: unknown) => {
      const e = signedEncrypted(receiveEvent({ token: FEISHU.verificationToken, openId: 'ou_buyer', chatId: 'oc_group_7', messageType, content: JSON.stringify(content) }), FEISHU.encryptKey, Math.floor(clock / 1000));
      expect((await fetch(`${svc.url}/webhooks/feishu/acme`, { method: 'POST', body: new Uint8Array(e.body), headers: e.headers })).status).toBe(200);
      await settle();
    };
    await says('东西收到是坏的');
    await post('image', { image_key: 'img_v3_crack' });
    await post('post', { title: '', content: [[{ tag: 'text', text: '你们看这里' }], [{ tag: 'img', image_key: 'img_v3_crack' }, { tag: 'img', image_key: 'img_v3_gone' }]] });
    await post('file', { file_key: 'file_v3_page', file_name: '说明.html' });
    const [c] = await waiting();
    const shown = (await (await desk(`/api/conversations/${c!.id}`, asStaff)).json()) as { messages: (Msg & { id: number; media: unknown[] })[] };
    const inbound = shown.messages.filter((m) => m.direction === 'in');
    expect(inbound.map((m) => [m.text, m.media])).toEqual([
      ['东西收到是坏的', []],
      [null, [{ kind: 'image', name: null }]],
      ['你们看这里', [{ kind: 'image', name: null }, { kind: 'image', name: null }]],
      [null, [{ kind: 'file', name: '说明.html' }]],
    ]);
    const [, photo, withText, file] = inbound;

    const got = await desk(`/api/messages/${photo!.id}/media/0`, asStaff);
    expect(got.status).toBe(200);
    expect(got.headers.get('content-type')).toBe('image/png');
    expect(got.headers.get('cache-control')).toMatch(/^private/);
    expect(Buffer.from(await got.arrayBuffer()).equals(png)).toBe(true);
    expect(fake.mediaCalls).toEqual([`feishu:${(await svc.service.db.db.selectFrom('messages').select('platform_message_id').where('id', '=', photo!.id).executeTakeFirstOrThrow()).platform_message_id}:img_v3_crack:image`]);
    // A customer's HTML file is a download, sandboxed, never a page on the desk's origin.
    const page = await desk(`/api/messages/${file!.id}/media/0`, asStaff);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('application/octet-stream');
    expect(page.headers.get('content-disposition')).toBe(`attachment; filename*=UTF-8''${encodeURIComponent('说明.html')}`);
    expect(page.headers.get('content-security-policy')).toMatch(/sandbox/);
    // The second picture of the post is one Feishu no longer hands out: a reason, not a broken page.
    const gone = await desk(`/api/messages/${withText!.id}/media/1`, asStaff);
    expect(gone.status).toBe(502);
    expect(((await gone.json()) as { reason: string }).reason).toMatch(/platform code 234003/);
    expect((await desk(`/api/messages/${withText!.id}/media/2`, asStaff)).status).toBe(404);
    expect((await desk(`/api/messages/${photo!.id}/media/0`)).status).toBe(401);
    const reply = shown.messages.find((m) => m.direction === 'out')!;
    expect((await desk(`/api/messages/${reply.id}/media/0`, asStaff)).status).toBe(404); // only customers' messages
  });

  it('refuses strangers, wrong passwords, forged posts and bad replies, writing nothing', async () => {
    await says('转人工');
    const [c] = await waiting();
    const before = [await count('messages'), await count('outbox')];
    const reply = `/api/conversations/${c!.id}/reply`;

    const anonymous = await desk('/api/conversations');
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toContain('Basic realm="xiaoer desk acme"');
    expect((await desk('', {})).status).toBe(401); // the page too
    expect((await desk('/api/conversations', { name: '小王', password: 'guess' })).status).toBe(401);
    expect((await desk('/api/conversations', { name: '', password: PASSWORD })).status).toBe(401); // replies are kept with a name
    expect((await desk(reply, { ...asStaff, body: { text: 'hi' }, csrf: false })).status).toBe(403);
    expect((await desk(reply, { ...asStaff, body: { text: '   ' } })).status).toBe(400);
    expect((await desk(reply, { ...asStaff, body: { text: '好'.repeat(700) } })).status).toBe(400); // over WeCom's 2,048 bytes
    expect((await desk(reply, { ...asStaff, body: '{not json' })).status).toBe(400);
    expect((await desk(reply, { ...asStaff, body: 'text=hi', type: 'application/x-www-form-urlencoded' })).status).toBe(415);
    expect((await desk('/api/conversations/999999/reply', { ...asStaff, body: { text: 'hi' } })).status).toBe(404);
    expect((await fetch(`${svc.url}/desk/nope/api/conversations`, { headers: { authorization: basic('小王') } })).status).toBe(404);
    expect([await count('messages'), await count('outbox')]).toEqual(before);

    // Guessing is cut off per address (a good sign-in forgives earlier typos), and the right password does not get through meanwhile.
    for (let i = 0; i < DESK_MAX_FAILURES; i++) await desk('/api/conversations', { name: '小王', password: `guess-${i}` });
    const locked = await desk('/api/conversations', asStaff);
    expect(locked.status).toBe(429);
    expect(((await locked.json()) as { reason: string }).reason).toContain('too many wrong passwords');
    clock += 11 * 60_000;
    expect((await desk('/api/conversations', asStaff)).status).toBe(200);
    // Debug-level logs of all of the above hold neither the password nor the credentials header.
    expect(svc.logs.text).not.toContain(PASSWORD);
    expect(svc.logs.text).not.toContain(basic('小王').slice('Basic '.length));
  });

  it('caps guessing for the shop however the guesser varies the forwarded address', async () => {
    const from = (ip: string, password: string) => fetch(`${svc.url}/desk/acme/api/conversations`, {
      headers: { authorization: basic('小王', password), 'x-forwarded-for': ip },
    });
    for (let i = 0; i < DESK_MAX_SHOP_FAILURES; i++) expect((await from(`10.0.${i >> 8}.${i & 255}`, `guess-${i}`)).status).toBe(401);
    expect((await from('10.9.9.9', PASSWORD)).status).toBe(429);
    clock += 11 * 60_000;
    expect((await from('10.9.9.9', PASSWORD)).status).toBe(200);
  });

  it.runIf(dialect === 'postgres')('two instances taking one customer\'s messages at once still count both misses and hand over', async () => {
    const configFile = writeConfig({ extra: `    desk: { password: ${PASSWORD} }\n`, businessHours: '{ from: "09:00", to: "23:00" }' });
    const second = await startService({ databaseUrl: db.url, feishuBase: fake.base, now: () => new Date(clock), random: () => 0, configFile });
    try {
      const users = ['m0', 'm1', 'm2', 'm3', 'm4', 'm5'];
      const chat = localChat;
      for (const u of users) expect((await chat(svc.url, u, '你好')).status).toBe(200);
      // Two questions no rule understands, each to another instance at the same moment: the
      // second to commit must see the first's miss (afterMisses: 2) and hand the customer over.
      await Promise.all(users.flatMap((u) => [chat(svc.url, u, '火星能送吗'), chat(second.url, u, '你们老板养猫吗')]));
      const handed = await svc.service.db.db.selectFrom('conversations').select('key')
        .where('handoff_until', '>', clock).orderBy('key').execute();
      expect(handed.map((r) => r.key)).toEqual(users.map((u) => `local:${u}:${u}`));
    } finally {
      await second.close();
    }
  });

  it('serves the desk page, and the handoff alert sends staff there', async () => {
    const page = await desk('', asStaff);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(await page.text()).toContain('人工接待台 · 阿克米旗舰店');
    await says('转人工');
    const alert = await svc.service.db.db.selectFrom('alerts').select('text').where('kind', '=', 'handoff').executeTakeFirstOrThrow();
    expect(alert.text).toContain('接待台 /desk/acme');
  });
});

/** A web chat on the local channel collects what reached its customer after the chat answered. */
describe.each(DIALECTS)('local channel inbox (%s)', (dialect) => {
  let svc: TestService;
  let db: { url: string; cleanup(): Promise<void> };
  beforeEach(async () => {
    db = await freshDatabaseUrl(dialect, join(mkdtempSync(join(tmpdir(), 'xiaoer-inbox-')), 'x.db'));
    const configFile = writeConfig({ extra: `    desk: { password: ${PASSWORD} }\n    orderWebhookSecret: ${ORDER_SECRET}\n`, businessHours: '{ from: "09:00", to: "23:00" }', localToken: true });
    svc = await startService({ databaseUrl: db.url, now: () => new Date(START), random: () => 0, configFile });
  });
  afterEach(async () => {
    await svc.close();
    await db.cleanup();
  });
  const bearer = { authorization: `Bearer ${LOCAL_TOKEN}` };
  const chat = (text: string, user = 'web-1') => localChat(svc.url, user, text, bearer);
  const inbox = async (query: string, headers: Record<string, string> = bearer) => fetch(`${svc.url}/webhooks/local/acme/messages?${query}`, { headers });

  it('hands out staff replies once, after the cursor, and never the answers the chat already got', async () => {
    await chat('你好');
    await chat('转人工');
    const start = (await (await inbox('user=web-1')).json()) as { messages: unknown[]; cursor: number };
    expect(start.messages).toEqual([]);
    expect(start.cursor).toBeGreaterThan(0);
    expect(await (await inbox(`user=web-1&after=${start.cursor}`)).json()).toEqual({ messages: [], cursor: start.cursor });

    const id = Number((await svc.service.db.db.selectFrom('conversations').select('id').executeTakeFirstOrThrow()).id);
    const staff = { authorization: basic('小张'), 'content-type': 'application/json', 'x-xiaoer-desk': '1' };
    for (const text of ['亲，我是小张', '您的问题我记下了']) {
      expect((await fetch(`${svc.url}/desk/acme/api/conversations/${id}/reply`, { method: 'POST', headers: staff, body: JSON.stringify({ text }) })).status).toBe(202);
    }
    const got = (await (await inbox(`user=web-1&after=${start.cursor}`)).json()) as { messages: { text: string; from: string; staff: string }[]; cursor: number };
    expect(got.messages.map((m) => [m.from, m.staff, m.text])).toEqual([['staff', '小张', '亲，我是小张'], ['staff', '小张', '您的问题我记下了']]);
    expect((await (await inbox(`user=web-1&after=${got.cursor}`)).json())).toEqual({ messages: [], cursor: got.cursor });
    // Another customer of the shop sees none of it.
    await chat('你好', 'web-2');
    expect(((await (await inbox('user=web-2&after=0')).json()) as { messages: unknown[] }).messages).toEqual([]);
  });

  it('hands out order care the shop sent later, with the rule that sent it', async () => {
    await chat('你好');
    const { cursor } = (await (await inbox('user=web-1')).json()) as { cursor: number };
    expect((await postOrderEvent(svc.url, ORDER_SECRET, {
      id: 'W1-paid', type: 'order.paid', at: START,
      order: { id: 'W1', customer: { channel: 'local', userId: 'web-1' }, items: [{ title: '保温杯', qty: 1, price: 59 }], total: 59 },
    })).status).toBe(202);
    const got = (await (await inbox(`user=web-1&after=${cursor}`)).json()) as { messages: { from: string; rule: string; text: string }[] };
    expect(got.messages).toHaveLength(1);
    expect(got.messages[0]).toMatchObject({ from: 'bot', rule: '付款感谢' });
    expect(got.messages[0]!.text).toMatch(/付款/);
  });

  it('asks for the channel token, the customer and a whole-number cursor', async () => {
    expect((await inbox('user=web-1', {})).status).toBe(401);
    expect((await inbox('')).status).toBe(400);
    expect((await inbox('user=web-1&after=-1')).status).toBe(400);
    expect((await inbox('user=web-1&after=abc')).status).toBe(400);
    expect((await fetch(`${svc.url}/webhooks/local/nope/messages?user=x`)).status).toBe(404);
  });
});
