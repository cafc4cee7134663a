import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createWriteBatcher } from '../../src/db/batch.js';
import { migrateDown, migrateToLatest } from '../../src/db/index.js';
import { openConversation, saveConversationState } from '../../src/db/conversations.js';
import { findCustomer, touchCustomer } from '../../src/db/customers.js';
import { insertMessage, isDuplicateInbound, isUniqueViolation } from '../../src/db/messages.js';
import { claimDue, countByState, enqueue, markRetry, markSent } from '../../src/db/outbox.js';
import type { OutboundMessage } from '../../src/types/index.js';
import { DIALECTS, freshDb } from '../helpers/db.js';
import { migrations } from '../../migrations/index.js';
import { claimDueJobs, insertJob } from '../../src/db/jobs.js';

const out = (key: string): OutboundMessage => ({
  shopId: 'acme', channel: 'feishu', customerId: 'ou_1', conversationKey: 'feishu:oc:ou_1', text: '亲', rule: 'r',
  response: 'x', proactive: false, idempotencyKey: key, replyContext: {},
});

describe.each(DIALECTS)('repositories on %s', (dialect) => {
  let h: Awaited<ReturnType<typeof freshDb>>;
  beforeEach(async () => {
    h = await freshDb(dialect);
  });
  afterEach(async () => {
    await h.cleanup();
  });

  async function conversation() {
    const c = await touchCustomer(h.db, { shopId: 'acme', channel: 'feishu', platformUserId: 'ou_1', name: null, at: 1000 });
    return openConversation(h.db, { shopId: 'acme', customerId: c.id, key: 'feishu:oc:ou_1', at: 1000 });
  }

  it('keeps first_seen, refreshes last_seen and learns a name', async () => {
    await touchCustomer(h.db, { shopId: 'acme', channel: 'feishu', platformUserId: 'ou_1', name: null, at: 1000 });
    const c = await touchCustomer(h.db, { shopId: 'acme', channel: 'feishu', platformUserId: 'ou_1', name: '王女士', at: 5000 });
    expect(c).toMatchObject({ firstSeenAt: 1000, lastSeenAt: 5000, name: '王女士', tags: [] });
    const again = await touchCustomer(h.db, { shopId: 'acme', channel: 'feishu', platformUserId: 'ou_1', name: null, at: 6000 });
    expect(again.name).toBe('王女士');
  });

  it('keeps last_seen to the minute: lines typed in a row write it once', async () => {
    const touch = (at: number, name: string | null = null) => touchCustomer(h.db, { shopId: 'acme', channel: 'feishu', platformUserId: 'ou_9', name, at });
    await touch(1_000);
    expect((await touch(30_000)).lastSeenAt).toBe(1_000);
    expect((await findCustomer(h.db, 'acme', 'feishu', 'ou_9'))!.lastSeenAt).toBe(1_000);
    expect((await touch(61_000)).lastSeenAt).toBe(61_000);
    // A newly learnt name is written at once.
    expect(await touch(62_000, '李先生')).toMatchObject({ lastSeenAt: 62_000, name: '李先生' });
    expect(await findCustomer(h.db, 'acme', 'feishu', 'ou_9')).toMatchObject({ lastSeenAt: 62_000, name: '李先生', firstSeenAt: 1_000 });
  });

  it('stores conversation state as it was saved', async () => {
    const conv = await conversation();
    const state = { slots: { size: 'M' }, fired: { r: { count: 2, lastAt: 9, day: '2026-11-27', dayCount: 1 } }, lastVariation: { x: 1 }, misses: 1, handoffUntil: 99 };
    await saveConversationState(h.db, conv.id, state, 'r', 2000);
    const again = await openConversation(h.db, { shopId: 'acme', customerId: conv.customerId, key: conv.key, at: 3000 });
    expect(again.id).toBe(conv.id);
    expect(again.state).toEqual(state);
  });

  it('two writers opening a new conversation at once get the same one, neither an error', async () => {
    const c = await touchCustomer(h.db, { shopId: 'acme', channel: 'feishu', platformUserId: 'ou_5', name: null, at: 1000 });
    const open = (q: typeof h.db) => openConversation(q, { shopId: 'acme', customerId: c.id, key: 'feishu:oc:ou_5', at: 1000 });
    let second: Promise<Awaited<ReturnType<typeof open>>> | undefined;
    const first = await h.db.transaction().execute(async (trx) => {
      const mine = await open(trx);
      // The other writer looks while this transaction holds the new row uncommitted.
      second = h.db.transaction().execute((other) => open(other));
      await new Promise((r) => setTimeout(r, 50));
      return mine;
    });
    const theirs = await second!;
    expect(first.isNew).toBe(true);
    expect(theirs).toMatchObject({ id: first.id, isNew: false });
  });

  it('refuses a second inbound row with the same platform message id or delivery id', async () => {
    const conv = await conversation();
    const base = {
      shopId: 'acme', channel: 'feishu', conversationId: conv.id, direction: 'in' as const, kind: 'text', text: '你好',
      rule: null, response: null, raw: {}, at: 1,
    };
    await insertMessage(h.db, { ...base, platformMessageId: 'om_1', deliveryId: 'ev_1' });
    expect(await isDuplicateInbound(h.db, 'acme', 'feishu', 'om_2', 'ev_1')).toBe(true);
    expect(await isDuplicateInbound(h.db, 'acme', 'feishu', 'om_2', 'ev_2')).toBe(false);
    for (const dup of [{ platformMessageId: 'om_1', deliveryId: 'ev_9' }, { platformMessageId: 'om_9', deliveryId: 'ev_1' }]) {
      const err = await insertMessage(h.db, { ...base, ...dup }).catch((e: unknown) => e);
      expect(isUniqueViolation(err)).toBe(true);
    }
    // Outbound rows have no platform ids: many NULLs are fine.
    await insertMessage(h.db, { ...base, direction: 'out', platformMessageId: null, deliveryId: null });
    await insertMessage(h.db, { ...base, direction: 'out', platformMessageId: null, deliveryId: null });
  });

  it('claims due rows once, reclaims an expired lease, and counts by state', async () => {
    const conv = await conversation();
    const ids: number[] = [];
    for (const key of ['a', 'b', 'c']) {
      const m = await insertMessage(h.db, { shopId: 'acme', channel: 'feishu', conversationId: conv.id, direction: 'out', platformMessageId: null, deliveryId: null, kind: 'text', text: 'x', rule: 'r', response: 'x', raw: undefined, at: 1 });
      ids.push(await enqueue(h.db, m, out(key), 100));
    }
    await expect(enqueue(h.db, ids[0]!, out('a'), 100)).rejects.toSatisfy(isUniqueViolation);
    expect(await claimDue(h.db, h.dialect, 99, 1000, 10)).toEqual([]);
    const first = await claimDue(h.db, h.dialect, 100, 1000, 2);
    expect(first.map((r) => [r.id, r.attempts, r.state])).toEqual([[ids[0], 1, 'sending'], [ids[1], 1, 'sending']]);
    expect((await claimDue(h.db, h.dialect, 100, 1000, 10)).map((r) => r.id)).toEqual([ids[2]]);
    await markSent(h.db, ids[0]!, 'om_x', 200);
    await markRetry(h.db, ids[2]!, 5000, 'HTTP 500', 200);
    // ids[1] was claimed by a process that died: its lease ends at 1100.
    expect((await claimDue(h.db, h.dialect, 1100, 1000, 10)).map((r) => [r.id, r.attempts])).toEqual([[ids[1], 2]]);
    expect(await countByState(h.db)).toEqual({ pending: 1, sending: 1, sent: 1, dead: 0, skipped: 0 });
  });

  it('group-commits concurrent units and isolates a failing one', async () => {
    const conv = await conversation();
    const batcher = createWriteBatcher(h.db, 8);
    const insert = (id: string) => batcher.run((trx) => insertMessage(trx, {
      shopId: 'acme', channel: 'feishu', conversationId: conv.id, direction: 'in', platformMessageId: id, deliveryId: null,
      kind: 'text', text: id, rule: null, response: null, raw: null, at: 1,
    }));
    const results = await Promise.allSettled(['m1', 'm2', 'm1', 'm3', 'm4'].map(insert));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    const rows = await h.db.selectFrom('messages').select('platform_message_id').orderBy('id').execute();
    expect(rows.map((r) => r.platform_message_id)).toEqual(['m1', 'm2', 'm3', 'm4']);
  });

  it('commits lanes side by side on Postgres, one key always in its own lane and in order', async () => {
    const conv = await conversation();
    const batcher = createWriteBatcher(h.db, 8, 4);
    const seen: string[] = [];
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const insert = (id: string, key: string, wait?: Promise<void>) => batcher.run(async (trx) => {
      await insertMessage(trx, {
        shopId: 'acme', channel: 'feishu', conversationId: conv.id, direction: 'in', platformMessageId: id, deliveryId: null,
        kind: 'text', text: id, rule: null, response: null, raw: null, at: 1,
      });
      if (wait) await wait;
      seen.push(id);
    }, key);
    // 'slow' holds its lane's transaction open; the same customer's next message queues behind it.
    const slow = insert('a1', 'customer-a', held);
    const next = insert('a2', 'customer-a');
    // Another customer's lane (found by key: which of the 4 lanes a key takes is fixed) commits meanwhile on Postgres.
    const other = ['customer-b', 'customer-c', 'customer-d', 'customer-e'].map((k, i) => insert(`x${i}`, k));
    if (h.dialect === 'postgres') {
      // Some other key took another lane and went through while a1's transaction was still open.
      await Promise.any(other);
      expect(seen).not.toContain('a1');
    }
    release();
    await Promise.all([slow, next, ...other]);
    expect(seen.indexOf('a1')).toBeLessThan(seen.indexOf('a2'));
    await batcher.drain();
    expect((await h.db.selectFrom('messages').select('platform_message_id').execute()).length).toBe(6);
  });

  it('migrates down step by step to nothing, and up again', async () => {
    let steps = 0;
    while (((await migrateDown(h.db)).results ?? []).length > 0) steps += 1;
    expect(steps).toBe(Object.keys(migrations).length);
    await expect(h.db.selectFrom('outbox').selectAll().execute()).rejects.toThrow();
    await migrateToLatest(h.db);
    expect(await h.db.selectFrom('jobs').selectAll().execute()).toEqual([]);
  });

  it('claims due jobs once, never the ones not yet due, and reclaims a job whose runner died', async () => {
    const job = (key: string, dueAt: number) => insertJob(h.db, {
      shopId: 'acme', kind: 'rule', rule: 'r', category: 'care', customerChannel: 'feishu', customerUserId: 'u', orderId: 'o1',
      dueAt, notAfter: null, dedupKey: key,
    }, 0);
    await job('a', 100);
    await job('a', 100); // the same follow-up planned twice is one job
    await job('b', 5000);
    const first = await claimDueJobs(h.db, h.dialect, 200, 1000, 10);
    expect(first.map((j) => [j.dueAt, j.attempts, j.state])).toEqual([[100, 1, 'running']]);
    expect(await claimDueJobs(h.db, h.dialect, 200, 1000, 10)).toEqual([]);
    // The process holding it was killed: after the lease it is claimed again.
    expect((await claimDueJobs(h.db, h.dialect, 1300, 1000, 10)).map((j) => [j.id, j.attempts])).toEqual([[first[0]!.id, 2]]);
  });
});

describe('outbox keys', () => {
  it('are 32 hex chars, the same for the same message, and sort by the time they were queued', async () => {
    const { outboxKey } = await import('../../src/db/outbox.js');
    const a = outboxKey('feishu\0om_1\0' + '0', Date.parse('2026-11-27T12:00:00Z'));
    expect(a).toMatch(/^[0-9a-f]{32}$/);
    expect(outboxKey('feishu\0om_1\0' + '0', Date.parse('2026-11-27T12:00:00Z'))).toBe(a);
    expect(outboxKey('feishu\0om_1\0' + '1', Date.parse('2026-11-27T12:00:00Z'))).not.toBe(a);
    const later = outboxKey('feishu\0om_0\0' + '0', Date.parse('2026-11-27T12:00:01Z'));
    expect([later, a].sort()).toEqual([a, later]);
  });
});
