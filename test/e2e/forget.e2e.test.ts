import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.js';
import { recordLesson } from '../../src/db/lessons.js';
import type { Database } from '../../src/db/schema.js';
import { recipientRateKey } from '../../src/db/send-rates.js';
import { DIALECTS, freshDatabaseUrl } from '../helpers/db.js';
import { postOrderEvent } from '../helpers/orders.js';
import { localChat, startService, writeConfig } from '../helpers/service.js';
import type { TestService } from '../helpers/service.js';

const SECRET = 'order-webhook-secret-0123456789';
const START = Date.parse('2026-11-27T11:00:00+08:00');
const TABLES = ['customers', 'conversations', 'messages', 'outbox', 'jobs', 'orders', 'order_events', 'alerts', 'send_rates', 'lessons'] as const;

/** `xiaoer customers forget`: a customer's request to delete their data removes all of it, and only theirs. */
describe.each(DIALECTS)('forgetting a customer (%s)', (dialect) => {
  let svc: TestService;
  let db: { url: string; cleanup(): Promise<void> };
  let out = '';
  let clock = START;

  beforeEach(async () => {
    out = '';
    clock = START;
    db = await freshDatabaseUrl(dialect, join(mkdtempSync(join(tmpdir(), 'xiaoer-forget-')), 'x.db'));
    const configFile = writeConfig({ extra: `    orderWebhookSecret: ${SECRET}\n`, businessHours: '{ from: "09:00", to: "23:00" }' });
    svc = await startService({ databaseUrl: db.url, now: () => new Date(clock), random: () => 0, configFile });
    vi.stubEnv('DATABASE_URL', db.url);
    vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((out += String(s)), true));
  });
  afterEach(async () => {
    vi.unstubAllEnvs();
    vi.restoreAllMocks();
    await svc.close();
    await db.cleanup();
  });

  const chat = async (user: string, text: string) => expect((await localChat(svc.url, user, text)).status).toBe(200);
  const order = async (user: string, id: string, type: string) => {
    const res = await postOrderEvent(svc.url, SECRET, { id: `${id}-${type}`, type, at: clock, order: { id, customer: { channel: 'local', userId: user } } });
    expect(res.status).toBe(202);
  };
  /** Every row of every table that holds customer data, as JSON text. */
  async function snapshot(): Promise<Record<string, string[]>> {
    const all: Record<string, string[]> = {};
    for (const t of TABLES) all[t] = (await svc.service.db.db.selectFrom(t as keyof Database).selectAll().execute()).map((r) => JSON.stringify(r));
    return all;
  }
  /** The rows that are one customer's: naming them, or messages of their conversations and those messages' replies. */
  function shareOf(user: string, snap: Record<string, string[]>): Record<string, string[]> {
    const rows = (t: string) => snap[t]!.map((j) => [j, JSON.parse(j) as Record<string, unknown>] as const);
    const conversations = new Set(rows('conversations').filter(([j]) => j.includes(user)).map(([, r]) => r.id));
    const messages = new Set(rows('messages').filter(([, r]) => conversations.has(r.conversation_id)).map(([, r]) => r.id));
    const share: Record<string, string[]> = {};
    for (const t of TABLES) {
      share[t] = rows(t).filter(([j, r]) => (t === 'messages' ? messages.has(r.id) : t === 'outbox' || t === 'lessons' ? messages.has(r.message_id) : j.includes(user)))
        .map(([j]) => j);
    }
    return share;
  }

  it('deletes every row about the customer in one go, keeps everyone else, and previews first', async () => {
    for (const user of ['anna_1', 'bob_2']) {
      await chat(user, '你好');
      await chat(user, '转人工'); // a staff alert quoting the chat
      await order(user, `O-${user}`, 'order.created'); // an order, its event and a 催付 follow-up
    }
    await svc.service.worker.tick();
    await svc.service.worker.idle();
    // The local channel has no send limits; a platform's per-recipient count names the customer too.
    for (const c of await svc.service.db.db.selectFrom('conversations').select('key').execute()) {
      await svc.service.db.db.insertInto('send_rates').values({ key: recipientRateKey('acme', 'local', c.key), sent_at: clock, count: 1 }).execute();
    }
    // What staff taught at the desk on their words (the lesson copies them).
    for (const m of await svc.service.db.db.selectFrom('messages').select(['id', 'text']).where('direction', '=', 'in').where('text', '=', '你好').execute()) {
      await recordLesson(svc.service.db.db, { shopId: 'acme', messageId: Number(m.id), text: '你好', intent: 'greeting', as: 'phrase', staff: '小王', at: clock });
    }
    const before = await snapshot();
    const anna = shareOf('anna_1', before);
    for (const t of TABLES) expect(anna[t]!.length, t).toBeGreaterThan(0);

    // Without --yes: what would go, and nothing changes.
    expect(await main(['customers', 'forget', '--shop', 'acme', '--channel', 'local', '--user', 'anna_1'])).toBe(0);
    expect(out).toMatch(/would delete everything about local:anna_1 in shop acme: the customer record .*1 conversation\(s\), \d+ message\(s\)/);
    expect(out).toMatch(/1 order\(s\) with 1 order event\(s\), 1 staff alert\(s\)/);
    expect(out).toContain('Run again with --yes');
    expect(await snapshot()).toEqual(before);

    out = '';
    expect(await main(['customers', 'forget', '--shop', 'acme', '--channel', 'local', '--user', 'anna_1', '--yes', '--json'])).toBe(0);
    const f = JSON.parse(out) as Record<string, unknown>;
    expect(f).toMatchObject({ deleted: true, customer: true, conversations: 1, orders: 1, orderEvents: 1, alerts: 1, lessons: 1 });
    // Exactly her rows went; everyone else's are untouched, and nothing left names her.
    const after = await snapshot();
    for (const t of TABLES) expect(after[t], t).toEqual(before[t]!.filter((j) => !anna[t]!.includes(j)));
    expect(JSON.stringify(after)).not.toContain('anna_1');
    expect(f.messages).toBe(anna.messages!.length);
    expect(f.replies).toBe(anna.outbox!.length);
    expect(f.followUps).toBe(anna.jobs!.length);

    // Nothing left to delete; and when she writes again she is a new customer, greeted as one.
    out = '';
    expect(await main(['customers', 'forget', '--shop', 'acme', '--channel', 'local', '--user', 'anna_1', '--yes'])).toBe(0);
    expect(out).toBe('nothing is stored about local:anna_1 in shop acme\n');
    clock += 3 * 24 * 3_600_000;
    await chat('anna_1', '你好');
    const greeted = await svc.service.db.db.selectFrom('messages').select('response').where('direction', '=', 'out').orderBy('id', 'desc').executeTakeFirstOrThrow();
    expect(greeted.response).toBe('greet-new');
  });

  it('exports a copy of what is stored about the customer, and nobody else\'s', async () => {
    for (const user of ['anna_1', 'bob_2']) {
      await chat(user, user === 'anna_1' ? '你好' : '在吗');
      await chat(user, '转人工');
      await order(user, `O-${user}`, 'order.created');
    }
    expect(await main(['customers', 'export', '--shop', 'acme', '--channel', 'local', '--user', 'anna_1'])).toBe(0);
    const e = JSON.parse(out) as {
      shop: string; userId: string; customer: { tags: string[]; firstSeen: string } | null;
      conversations: { key: string; messages: { from: string; text: string | null; platformPayload?: { user?: string } }[] }[];
      orders: { orderId: string; events: { type: string }[] }[]; followUps: { rule: string; state: string }[];
    };
    expect(e).toMatchObject({ shop: 'acme', userId: 'anna_1', customer: { tags: [], firstSeen: new Date(START).toISOString() } });
    expect(e.conversations.map((c) => c.key)).toEqual(['local:anna_1:anna_1']);
    const said = e.conversations[0]!.messages;
    expect(said.filter((m) => m.from === 'customer').map((m) => m.text)).toEqual(['你好', '转人工']);
    expect(said.filter((m) => m.from === 'bot').length).toBeGreaterThanOrEqual(2);
    expect(said.find((m) => m.from === 'customer')!.platformPayload).toMatchObject({ user: 'anna_1', text: '你好' });
    expect(e.orders).toMatchObject([{ orderId: 'O-anna_1', events: [{ type: 'order.created' }] }]);
    expect(e.followUps.length).toBeGreaterThan(0);
    expect(out).not.toContain('bob_2');
    expect(out).not.toContain('在吗');

    out = '';
    expect(await main(['customers', 'export', '--shop', 'acme', '--channel', 'local', '--user', 'nobody'])).toBe(0);
    expect(JSON.parse(out)).toMatchObject({ customer: null, conversations: [], orders: [], followUps: [] });
  });

  it('names what is missing or wrong', async () => {
    let err = '';
    vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((err += String(s)), true));
    expect(await main(['customers', 'forget', '--shop', 'acme', '--user', 'x'])).toBe(1);
    expect(err).toMatch(/--shop, --channel and --user are all needed/);
    expect(await main(['customers', 'forget', '--shop', 'acme', '--channel', 'local', '--user', 'x', 'extra'])).toBe(1);
    expect(err).toMatch(/forget takes no other arguments \(got "extra"\)/);
  });
});
