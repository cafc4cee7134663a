import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.js';
import { insertAlert, listAlerts, markDelivered, recordAlertFailure } from '../../src/db/alerts.js';
import { migrateToLatest, openDb } from '../../src/db/index.js';
import { insertJob } from '../../src/db/jobs.js';
import { getOrder } from '../../src/db/orders.js';
import { listOutbox } from '../../src/db/outbox.js';
import { writeConfig } from '../helpers/service.js';

/** The operator commands, run as `xiaoer …` would run them, against a real SQLite file. */
describe('xiaoer orders / jobs / handoff', () => {
  let out = '';
  let err = '';
  let dir = '';
  beforeEach(() => {
    out = '';
    err = '';
    dir = mkdtempSync(join(tmpdir(), 'xiaoer-admin-'));
    vi.stubEnv('DATABASE_URL', `sqlite:${join(dir, 'x.db')}`);
    vi.stubEnv('XIAOER_CONFIG', writeConfig());
    vi.stubEnv('ACME_FEISHU_SECRET', 'feishu-app-secret');
    vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((out += String(s)), true));
    vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((err += String(s)), true));
  });
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.restoreAllMocks();
  });

  const event = (id: string, type: string, at: string, extra: Record<string, unknown> = {}) => JSON.stringify({
    id, type, occurredAt: at, order: { id: 'O1', customer: { channel: 'feishu', userId: 'ou_1' }, items: [{ title: 'T恤', qty: 1, price: 99 }], total: 99, ...extra },
  });

  it('imports past order events without sending anything, names bad lines, and lists no follow-ups', async () => {
    const file = join(dir, 'events.jsonl');
    writeFileSync(file, [event('e1', 'order.created', '2026-10-01T10:00:00+08:00'), event('e2', 'order.shipped', '2026-10-02T10:00:00+08:00'),
      event('e3', 'order.paid', '2026-10-03T10:00:00+08:00'), ''].join('\n'));
    expect(await main(['orders', 'import', file, '--shop', 'acme'])).toBe(0);
    expect(out).toMatch(/imported 2 events \(1 out of order, 0 already known\); no messages sent/);
    expect(await main(['orders', 'import', file, '--shop', 'acme'])).toBe(0);
    expect(out).toMatch(/imported 0 events \(0 out of order, 3 already known\)/);
    writeFileSync(file, `${event('e4', 'order.paid', 'yesterday')}\n{nope\n`);
    expect(await main(['orders', 'import', file, '--shop', 'acme'])).toBe(1);
    expect(err).toMatch(/events\.jsonl:1: occurredAt: .*\n.*events\.jsonl:2: not JSON/);
    out = '';
    expect(await main(['jobs', 'list', '--shop', 'acme', '--json'])).toBe(0);
    expect(JSON.parse(out)).toEqual([]);
  });

  it('builds the order the API would: a later event without the courier keeps the one an earlier event gave', async () => {
    const file = join(dir, 'events.jsonl');
    writeFileSync(file, [
      event('e1', 'order.paid', '2026-10-01T10:00:00+08:00'),
      event('e2', 'order.shipped', '2026-10-02T10:00:00+08:00', { courier: '顺丰', trackingNo: 'SF123' }),
      event('e3', 'order.signed', '2026-10-04T10:00:00+08:00'),
    ].join('\n'));
    expect(await main(['orders', 'import', file, '--shop', 'acme'])).toBe(0);
    const h = openDb(`sqlite:${join(dir, 'x.db')}`);
    try {
      const order = await getOrder(h.db, 'acme', 'O1');
      expect(order).toMatchObject({ state: 'signed', data: { courier: '顺丰', trackingNo: 'SF123' }, signedAt: Date.parse('2026-10-04T10:00:00+08:00') });
    } finally {
      await h.close();
    }
  });

  it('explains how the bot reads a message, the second question included', async () => {
    expect(await main(['explain', '包邮吗？什么时候发货', '--shop', 'acme'])).toBe(0);
    expect(out).toMatch(/normalized: {2}包邮吗 什么时候发货\n/);
    expect(out).toMatch(/winner: {6}faq\.shipping_time\n/);
    expect(out).toMatch(/style: {7}plain\n/);
    expect(out).toMatch(/also asked: {2}faq\.free_shipping \(before it, answered too\)\n/);
    expect(out).toMatch(/\n {2}包邮运费 \(.*quick-replies\.yml:\d+\) → free-shipping: 亲，运费.*\n {2}发货时间 \(.*quick-replies\.yml:\d+\) → shipping-time: /);
    out = '';
    expect(await main(['explain', '好的谢谢，那什么时候发货', '--shop', 'acme'])).toBe(0);
    expect(out).not.toMatch(/also asked/);
    out = '';
    expect(await main(['explain', '哈喽～在吗', '--shop', 'acme'])).toBe(0);
    expect(out).toMatch(/style: {7}lively\n/);
    expect(out).toMatch(/问候-活泼 \(.*greeting\.yml:\d+\) → greet-lively/);
    out = '';
    expect(await main(['explain', '刚才那单我想要了怎么弄', '--shop', 'acme'])).toBe(0);
    expect(out).toMatch(/winner: {6}\(none\)/);
    expect(out).toMatch(/not guessed: 0\.\d\d alike to order_cancel's "刚才那单我不想要了怎么弄", but one of them says "not"/);
  });

  it('explains what the bot would answer: at a time of day, with an order, a handoff', async () => {
    expect(await main(['explain', '我的快递到哪了', '--shop', 'acme', '--order', 'shipped', '--time', '23:30'])).toBe(0);
    expect(out).toMatch(/answer: {6}\(a customer first seen today, mid-chat, at 23:30, latest order shipped\)\n {2}查询物流-已发货 \(.*\) → order-shipped: .*中通快递运单号 ZT1234567890/);
    out = '';
    expect(await main(['explain', '我的快递到哪了', '--shop', 'acme', '--time', '10:00'])).toBe(0);
    expect(out).toMatch(/at 10:00, no known order\)\n {2}查询物流 \(.*\) → order-status: /);
    out = '';
    expect(await main(['explain', '这个什么材质', '--shop', 'acme'])).toBe(0);
    expect(out).toMatch(/hands off to a person: 商品咨询：顾客问到商品细节 \(rule 商品咨询转人工\)/);
    out = '';
    expect(await main(['explain', '多会儿能给我寄出来', '--shop', 'acme', '--time', '10:00'])).toBe(0);
    expect(out).toMatch(/resembles: {3}faq\.shipping_time 0\.\d\d \(offered\), /);
    expect(out).toMatch(/\(fallback\) → not-understood-suggest: .*您是想问：\n1\. 什么时候发货？\n2\. /);
    out = '';
    expect(await main(['explain', '我不是要退货', '--shop', 'acme'])).toBe(0);
    expect(out).toMatch(/resembles: {3}faq\.returns .* — nothing offered\n/);
    out = '';
    expect(await main(['explain', '嗯嗯', '--shop', 'acme'])).toBe(0);
    expect(out).toMatch(/顾客点头 \(.*greeting\.yml:\d+\): no reply/);
    expect(await main(['explain', '你好', '--order', 'sent'])).toBe(1);
    expect(err).toMatch(/--order sent: one of created, paid, shipped/);
    expect(await main(['explain', '你好', '--time', '7pm'])).toBe(1);
    expect(err).toMatch(/--time 7pm: use 24-hour HH:MM/);
  });

  it('lists and releases conversations a person has', async () => {
    expect(await main(['handoff', 'list'])).toBe(0);
    expect(out).toMatch(/no conversation is with a person/);
    expect(await main(['handoff', 'release', '--shop', 'acme', 'local:nobody:nobody'])).toBe(1);
    expect(err).toMatch(/no conversation "local:nobody:nobody"/);

    const h = openDb(`sqlite:${join(dir, 'x.db')}`);
    const until = Date.now() + 3_600_000;
    try {
      const c = await h.db.insertInto('customers').values({
        shop_id: 'acme', channel: 'local', platform_user_id: 'u1', name: null, tags: '[]', tier: null, first_seen_at: 1, last_seen_at: 1, opted_out_at: null,
      }).returning('id').executeTakeFirstOrThrow();
      for (const [user, by] of [['u1', '小王'], ['u2', null]] as const) {
        const conv = await h.db.insertInto('conversations').values({
          shop_id: 'acme', customer_id: Number(c.id), key: `local:${user}:${user}`, state: JSON.stringify({ handoffUntil: until, ...(by ? { handoffBy: by } : {}) }),
          handed_off_at: 1_000, handoff_until: until, last_rule_fired: null, created_at: 1, updated_at: 1,
        }).returning('id').executeTakeFirstOrThrow();
        if (!by) { // u2 wrote 7 minutes ago and nobody has answered
          await h.db.insertInto('messages').values({
            shop_id: 'acme', channel: 'local', conversation_id: Number(conv.id), direction: 'in', platform_message_id: 'm-u2', delivery_id: null,
            kind: 'text', text: '人呢', rule: null, response: null, raw: null, created_at: Date.now() - 7 * 60_000 - 1_000,
          }).execute();
        }
      }
    } finally {
      await h.close();
    }
    out = '';
    expect(await main(['handoff', 'list', '--shop', 'acme'])).toBe(0);
    expect(out).toMatch(/^acme\tlocal:u1:u1\tsince .*\twith 小王\tnothing unanswered$/m);
    expect(out).toMatch(/^acme\tlocal:u2:u2\tsince .*\tnobody at the desk has it yet\tcustomer waiting 7 min for an answer$/m);
    expect(await main(['handoff', 'release', '--shop', 'acme', 'local:u1:u1'])).toBe(0);
    out = '';
    expect(await main(['handoff', 'list'])).toBe(0);
    expect(out).not.toContain('local:u1:u1');
    const h2 = openDb(`sqlite:${join(dir, 'x.db')}`);
    try {
      expect(await listOutbox(h2.db, 'acme')).toEqual([]); // nothing to do on the platform for a local chat
    } finally {
      await h2.close();
    }
  });

  it('releasing a 微信客服 conversation queues the end of a session a 接待人员 holds, for the running service to send', async () => {
    const h = openDb(`sqlite:${join(dir, 'x.db')}`);
    await migrateToLatest(h.db);
    const key = 'wecomKf:wkShop:wmAmy';
    try {
      const c = await h.db.insertInto('customers').values({
        shop_id: 'acme', channel: 'wecomKf', platform_user_id: 'wmAmy', name: null, tags: '[]', tier: null, first_seen_at: 1, last_seen_at: 1, opted_out_at: null,
      }).returning('id').executeTakeFirstOrThrow();
      await h.db.insertInto('conversations').values({
        shop_id: 'acme', customer_id: Number(c.id), key, state: JSON.stringify({ handoffUntil: Date.now() + 3_600_000 }),
        handed_off_at: 1_000, handoff_until: Date.now() + 3_600_000, last_rule_fired: null, created_at: 1, updated_at: 1,
      }).execute();
    } finally {
      await h.close();
    }
    expect(await main(['handoff', 'release', '--shop', 'acme', key, '--staff', '老板'])).toBe(0);
    expect(out).toMatch(/released: the bot answers wecomKf:wkShop:wmAmy again; a 接待人员's 微信客服 session, if any, is ended by the running service/);
    const h2 = openDb(`sqlite:${join(dir, 'x.db')}`);
    try {
      const [row] = await listOutbox(h2.db, 'acme');
      expect(row).toMatchObject({ state: 'pending', channel: 'wecomKf' });
      expect(row!.message).toMatchObject({ customerId: 'wmAmy', conversationKey: key, action: { kind: 'kfEndSession' }, response: '老板' });
    } finally {
      await h2.close();
    }
  });

  it('lists alerts with the robots that have them, and sends failed ones again only where they are missing', async () => {
    const h = openDb(`sqlite:${join(dir, 'x.db')}`);
    try {
      await migrateToLatest(h.db);
      const base = { shopId: 'acme', rule: null, conversationKey: 'feishu:oc_1:ou_1', customerId: 'ou_1', transcript: [], at: Date.parse('2026-11-27T04:00:00Z') };
      const failed = await insertAlert(h.db, { ...base, kind: 'handoff', text: '转人工：顾客需要人工接待' });
      await insertAlert(h.db, { ...base, kind: 'bad_review', text: '差评提醒' });
      const row = (await listAlerts(h.db, 'acme')).find((a) => a.id === failed)!;
      await markDelivered(h.db, [row], 'wecom');
      await recordAlertFailure(h.db, [failed], 'Feishu bot: HTTP 500', 0, 1);
    } finally {
      await h.close();
    }
    expect(await main(['alerts', 'list', '--state', 'failed'])).toBe(0);
    expect(out).toMatch(/#1 .* acme {2}handoff {2}failed {2}tries 1 {2}robots wecom {2}last error: Feishu bot: HTTP 500\n {4}转人工：顾客需要人工接待/);
    expect(out).not.toMatch(/差评提醒/);
    out = '';
    expect(await main(['alerts', 'retry', '--shop', 'acme', '2'])).toBe(0); // #2 is pending, not failed
    expect(out).toMatch(/no failed alerts to retry in shop acme with id 2/);
    expect(await main(['alerts', 'retry', '--shop', 'acme'])).toBe(0);
    expect(out).toMatch(/1 alert queued again/);
    out = '';
    expect(await main(['alerts', 'list', '--json'])).toBe(0);
    expect(JSON.parse(out)).toEqual([
      expect.objectContaining({ id: 2, kind: 'bad_review', state: 'pending', deliveredTo: [] }),
      expect.objectContaining({ id: 1, kind: 'handoff', state: 'pending', tries: 0, deliveredTo: ['wecom'], lastError: null }),
    ]);
    expect(await main(['alerts', 'list', '--state', 'lost'])).toBe(1);
    expect(err).toMatch(/--state must be one of pending, sent, failed \(got "lost"\)/);
    expect(await main(['alerts', 'retry', '--shop', 'acme', 'abc'])).toBe(1);
    expect(err).toMatch(/alert ids are numbers/);
  });

  it('tags, tiers and shows a customer; an order import carries the member tier', async () => {
    const who = ['--shop', 'acme', '--channel', 'feishu', '--user', 'ou_vip'];
    expect(await main(['customers', 'show', ...who])).toBe(1);
    expect(err).toMatch(/no customer feishu:ou_vip in shop acme/);
    expect(await main(['customers', 'tag', ...who, '黑名单', '老客户', '黑名单'])).toBe(0); // a customer not met yet: created
    expect(out).toMatch(/tier \(none\) · tags 黑名单, 老客户/);
    out = '';
    expect(await main(['customers', 'list', '--shop', 'acme', '--tag', '黑名单'])).toBe(0);
    expect(out).toMatch(/^feishu:ou_vip\n {2}tier \(none\) · tags 黑名单, 老客户\n/);
    expect(await main(['customers', 'untag', ...who, '黑名单'])).toBe(0);
    out = '';
    expect(await main(['customers', 'list', '--shop', 'acme', '--tag', '黑名单'])).toBe(0);
    expect(out).toBe('no customer in shop acme is tagged 黑名单\n');
    expect(await main(['customers', 'tier', ...who, 'vip'])).toBe(0);
    out = '';
    expect(await main(['customers', 'show', ...who, '--json'])).toBe(0);
    expect(JSON.parse(out)).toMatchObject({ channel: 'feishu', platformUserId: 'ou_vip', tier: 'vip', tags: ['老客户'], optedOutAt: null, purchases: { count: 0, last: null } });

    const file = join(dir, 'events.jsonl');
    const withTier = JSON.parse(event('e1', 'order.paid', '2026-10-01T10:00:00+08:00')) as { order: { customer: Record<string, string> } };
    withTier.order.customer = { channel: 'feishu', userId: 'ou_vip', tier: '金卡' };
    writeFileSync(file, `${JSON.stringify(withTier)}\n`);
    expect(await main(['orders', 'import', file, '--shop', 'acme'])).toBe(0);
    out = '';
    expect(await main(['customers', 'show', ...who])).toBe(0);
    expect(out).toMatch(/^feishu:ou_vip\n {2}tier 金卡 · tags 老客户\n {2}first seen /);
    expect(out).toMatch(/\n {2}purchases 1 paid order, the last 2026-10-01 02:00 UTC: .+ \(order \S+\)\n$/);
    expect(await main(['customers', 'tier', ...who, '--clear'])).toBe(0);
    expect(out).toMatch(/tier \(none\)/);

    expect(await main(['customers', 'tag', '--shop', 'acme', '--channel', 'qq', '--user', 'u', 'x'])).toBe(1);
    expect(err).toMatch(/--channel must be one of feishu, wecom, wecomKf, dingtalk, local \(got "qq"\)/);
    expect(await main(['customers', 'tier', ...who, 'vip', 'svip'])).toBe(1);
    expect(err).toMatch(/give one tier, or --clear/);
    expect(await main(['customers', 'tag', ...who])).toBe(1);
    expect(err).toMatch(/name the tags to tag/);
  });

  it('lists the follow-ups that did not go out, latest first, with why', async () => {
    const h = openDb(`sqlite:${join(dir, 'x.db')}`);
    try {
      await migrateToLatest(h.db);
      const job = { shopId: 'acme', kind: 'message' as const, category: 'care' as const, customerChannel: 'feishu', customerUserId: 'ou_1', orderId: 'O1', notAfter: null };
      await insertJob(h.db, { ...job, rule: '签收关怀', dueAt: 2_000, state: 'skipped', reason: 'daily cap: 3 proactive messages per customer per day', dedupKey: 'k1' }, 2_000);
      await insertJob(h.db, { ...job, rule: '付款感谢', dueAt: 1_000, state: 'skipped', reason: 'customer opted out (退订) of care messages', dedupKey: 'k2' }, 1_000);
      await insertJob(h.db, { ...job, rule: '客户回访', dueAt: Date.now() + 86_400_000, dedupKey: 'k3' }, 1_000);
    } finally {
      await h.close();
    }
    expect(await main(['jobs', 'list', '--shop', 'acme', '--state', 'skipped'])).toBe(0);
    expect(out.trim().split('\n')).toEqual([
      expect.stringMatching(/^1970-01-01T00:00:02\.000Z {2}acme {2}签收关怀 {2}feishu:ou_1 {2}order O1 {2}\(daily cap: 3 proactive messages per customer per day\)$/),
      expect.stringMatching(/^1970-01-01T00:00:01\.000Z {2}acme {2}付款感谢 .*\(customer opted out/),
    ]);
    out = '';
    expect(await main(['jobs', 'list', '--shop', 'acme'])).toBe(0);
    expect(out).toMatch(/客户回访/);
    expect(out).not.toMatch(/签收关怀/);
    expect(await main(['jobs', 'list', '--state', 'sent'])).toBe(1);
    expect(err).toMatch(/--state must be one of pending, skipped, cancelled, done \(got "sent"\)/);
  });

  // A typo must not look like a quiet day: `handoff list --shop acmee` saying nobody waits would be believed.
  it.each([
    ['handoff', 'list', '--shop', 'acmee'],
    ['jobs', 'list', '--shop', 'acmee'],
    ['alerts', 'list', '--shop', 'acmee'],
    ['customers', 'list', '--shop', 'acmee', '--tag', '黑名单'],
    ['report', '--shop', 'acmee'],
    ['explain', '你好', '--shop', 'acmee'],
    ['test', '--shop', 'acmee'],
  ])('%s %s refuses a shop the config does not have, and names the one meant', async (...args) => {
    expect(await main(args)).toBe(1);
    expect(err).toMatch(/^no shop "acmee" in .*xiaoer\.yml; did you mean "acme"\? \(shops: acme\)$/m);
    expect(out).toBe('');
  });
});
