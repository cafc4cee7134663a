import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { recordLesson } from '../../src/db/lessons.js';
import { RETENTION_CHUNK } from '../../src/db/retention.js';
import { DIALECTS, freshDatabaseUrl } from '../helpers/db.js';
import { postOrderEvent } from '../helpers/orders.js';
import { localChat, startService, writeConfig } from '../helpers/service.js';
import type { TestService } from '../helpers/service.js';

const SECRET = 'order-webhook-secret-0123456789';
const START = Date.parse('2026-10-01T11:00:00+08:00');
const DAY = 86_400_000;

/** retention.days: old chats, alerts and finished follow-ups are deleted; records the shop keeps stay. */
describe.each(DIALECTS)('retention (%s)', (dialect) => {
  let svc: TestService;
  let db: { url: string; cleanup(): Promise<void> };
  let clock = START;

  async function start(retention: string) {
    const configFile = writeConfig({ extra: `    orderWebhookSecret: ${SECRET}\n${retention}`, businessHours: '{ from: "09:00", to: "23:00" }' });
    svc = await startService({ databaseUrl: db.url, now: () => new Date(clock), random: () => 0, configFile });
  }
  beforeEach(async () => {
    clock = START;
    db = await freshDatabaseUrl(dialect, join(mkdtempSync(join(tmpdir(), 'xiaoer-retention-')), 'x.db'));
  });
  afterEach(async () => {
    await svc.close();
    await db.cleanup();
  });

  const chat = async (user: string, text: string) => expect((await localChat(svc.url, user, text)).status).toBe(200);
  const settle = async () => {
    await svc.service.jobs.tick();
    await svc.service.worker.tick();
    await svc.service.worker.idle();
    await svc.service.alerts.tick();
  };
  const q = () => svc.service.db.db;
  const messagesOf = async (user: string) => (await q().selectFrom('messages').innerJoin('conversations', 'conversations.id', 'messages.conversation_id')
    .select(['messages.id', 'messages.text']).where('conversations.key', '=', `local:${user}:${user}`).execute());

  it('deletes what is older than retention.days, keeps what is younger, still queued or the shop\'s own records', async () => {
    await start('retention: { days: 30 }\n');
    await chat('anna', '你好');
    await chat('anna', '转人工'); // a staff alert (no robot configured: it ends as failed)
    await chat('bob', '你好');
    const order = await postOrderEvent(svc.url, SECRET, { id: 'e1', type: 'order.created', at: clock, order: { id: 'O1', customer: { channel: 'local', userId: 'anna' } } });
    expect(order.status).toBe(202);
    await settle();
    clock += DAY; // the 催付 follow-up runs and ends
    await settle();
    // One of bob's replies is still being retried: it and its message stay whatever their age.
    const stuck = await q().selectFrom('outbox').innerJoin('messages', 'messages.id', 'outbox.message_id')
      .innerJoin('conversations', 'conversations.id', 'messages.conversation_id')
      .select(['outbox.id', 'outbox.message_id']).where('conversations.key', '=', 'local:bob:bob').executeTakeFirstOrThrow();
    await q().updateTable('outbox').set({ state: 'pending', next_attempt_at: clock + 365 * DAY }).where('id', '=', stuck.id).execute();

    const jobs = await q().selectFrom('jobs').select(['state']).execute();
    expect(jobs.some((j) => ['done', 'cancelled', 'skipped'].includes(j.state))).toBe(true);
    expect((await q().selectFrom('alerts').select('state').execute()).map((a) => a.state)).toEqual(['failed']);

    clock = START + 29 * DAY;
    await chat('carol', '你好'); // young: stays
    expect(await svc.service.retention.tick(true)).toBe(0); // nothing is 30 days old yet

    // What staff taught at the desk copies the customer's words: it goes with the message.
    const taught: Record<string, number> = {};
    for (const user of ['anna', 'bob', 'carol']) {
      const first = Math.min(...(await messagesOf(user)).map((m) => Number(m.id)));
      taught[user] = (await recordLesson(q(), { shopId: 'acme', messageId: first, text: '你好呀', intent: 'greeting', as: 'phrase', staff: '小王', at: clock })).messageId;
    }

    clock = START + 32 * DAY; // 31 days after the last of it (the 催付 sent on day 1)
    const removed = await svc.service.retention.tick(true);
    expect(await messagesOf('anna')).toEqual([]);
    expect((await messagesOf('bob')).map((m) => m.id)).toEqual([stuck.message_id]);
    expect((await messagesOf('carol')).map((m) => m.text)).toContain('你好');
    expect(await q().selectFrom('alerts').selectAll().execute()).toEqual([]);
    // Anna's and bob's first words went (bob's queued reply stays, and it is no customer message); carol's stay, with her lesson.
    expect((await q().selectFrom('lessons').select('message_id').execute()).map((l) => Number(l.message_id))).toEqual([taught.carol]);
    expect(await q().selectFrom('jobs').select('id').where('state', 'in', ['done', 'cancelled', 'skipped']).execute()).toEqual([]);
    expect(await q().selectFrom('outbox').select('id').where('state', '=', 'sent').where('created_at', '<', START + DAY * 2).execute()).toEqual([]);
    // The shop's records stay: customers (tags, 退订), conversations, orders.
    expect((await q().selectFrom('customers').select('platform_user_id').orderBy('platform_user_id').execute()).map((c) => c.platform_user_id))
      .toEqual(['anna', 'bob', 'carol']);
    expect(await q().selectFrom('conversations').select('id').execute()).toHaveLength(3);
    expect(await q().selectFrom('orders').select('order_id').execute()).toEqual([{ order_id: 'O1' }]);

    const metrics = await (await fetch(`${svc.url}/metrics`)).text();
    expect(metrics).toMatch(/xiaoer_retention_deleted_total\{table="messages"\} [1-9]/);
    expect(metrics).toMatch(/xiaoer_retention_deleted_total\{table="alerts"\} 1\n/);
    expect(removed).toBeGreaterThanOrEqual(6);
    expect(svc.logs.text).toContain('removed data older than the retention period');

    // Once the stuck reply is sent, its message goes at the next sweep.
    await q().updateTable('outbox').set({ state: 'sent' }).where('id', '=', stuck.id).execute();
    expect(await svc.service.retention.tick(true)).toBe(2);
    expect(await messagesOf('bob')).toEqual([]);
  });

  it('works through more old rows than one chunk, and sweeps at most hourly from the clock', async () => {
    await start('retention: { days: 30 }\n');
    await chat('anna', '你好');
    const conv = await q().selectFrom('conversations').select('id').executeTakeFirstOrThrow();
    const old = Array.from({ length: RETENTION_CHUNK * 2 + 7 }, (_, i) => ({
      shop_id: 'acme', channel: 'local', conversation_id: conv.id, direction: 'in' as const, platform_message_id: `old-${i}`,
      delivery_id: null, kind: 'text', text: `旧消息 ${i}`, rule: null, response: null, raw: '{}', created_at: START + i,
    }));
    await q().insertInto('messages').values(old).execute();
    clock = START + 40 * DAY;
    await chat('anna', '还在吗'); // newer than the cutoff: ends the walk

    expect(await svc.service.retention.tick()).toBeGreaterThanOrEqual(old.length); // the first tick sweeps
    expect((await messagesOf('anna')).map((m) => m.text)).toContain('还在吗');
    expect((await messagesOf('anna')).some((m) => m.text?.startsWith('旧消息'))).toBe(false);

    await q().insertInto('messages').values({ ...old[0]!, platform_message_id: 'late' }).execute();
    clock += 30 * 60_000;
    expect(await svc.service.retention.tick()).toBe(0); // half an hour later: not swept yet
    clock += 31 * 60_000;
    expect(await svc.service.retention.tick()).toBe(1); // an hour after the last sweep

    await q().insertInto('messages').values({ ...old[0]!, platform_message_id: 'after-stop' }).execute();
    await svc.service.retention.stop(); // shutting down: no sweep starts any more
    expect(await svc.service.retention.tick(true)).toBe(0);
  });

  it('keeps everything when retention is not configured', async () => {
    await start('');
    await chat('anna', '你好');
    clock += 3650 * DAY;
    expect(await svc.service.retention.tick(true)).toBe(0);
    expect(await messagesOf('anna')).toHaveLength(2);
  });
});
