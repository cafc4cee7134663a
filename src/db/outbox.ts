import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import type { Kysely, Selectable, Transaction } from 'kysely';
import type { OutboundMessage } from '../types/index.js';
import type { Database, OutboxState, OutboxTable } from './schema.js';
import type { Dialect } from './index.js';
import { prepared } from './prepared.js';

type Q = Kysely<Database> | Transaction<Database>;

export interface OutboxRow {
  id: number;
  messageId: number;
  shopId: string;
  channel: string;
  message: OutboundMessage;
  state: OutboxState;
  attempts: number;
  nextAttemptAt: number;
  lastError: string | null;
}

/** WeCom's msgid and 微信客服's msgid take at most 32 bytes; Feishu's uuid 50. */
export const OUTBOX_KEY_LENGTH = 32;
const KEY_TIME_CHARS = 12;

/**
 * The idempotency key an outbox row keeps across retries (the platform's uuid/msgid): a hash of
 * what the message answers, prefixed with the time it was queued. The prefix keeps inserts into
 * the key's unique index at its right edge instead of a random page per row.
 */
export function outboxKey(seed: string, at: number): string {
  const time = Math.max(0, Math.floor(at)).toString(16).padStart(KEY_TIME_CHARS, '0');
  return time + createHash('sha256').update(seed).digest('hex').slice(0, OUTBOX_KEY_LENGTH - KEY_TIME_CHARS);
}

/** How outbox rows name their customer (the daily cap counts by it). */
function outboxCustomerKey(channel: string, userId: string): string {
  return `${channel}:${userId}`;
}

type OutboxValues = {
  messageId: number; shopId: string; channel: string; payload: string; idempotencyKey: string; at: number;
  conversationKey: string; proactive: number; customerKey: string; orderId: string | null;
};
const insertOutbox = prepared<OutboxValues, { id: number }>((q, a) => q.insertInto('outbox').values({
  message_id: a('messageId'), shop_id: a('shopId'), channel: a('channel'), payload: a('payload'),
  idempotency_key: a('idempotencyKey'), state: 'pending', attempts: 0, next_attempt_at: a('at'),
  locked_until: null, last_error: null, platform_id: null, created_at: a('at'), updated_at: a('at'),
  conversation_key: a('conversationKey'), proactive: a('proactive'), customer_key: a('customerKey'), order_id: a('orderId'),
}).returning('id'));

export async function enqueue(q: Q, messageId: number, msg: OutboundMessage, at: number): Promise<number> {
  const res = await insertOutbox(q, {
    messageId, shopId: msg.shopId, channel: msg.channel, payload: JSON.stringify(msg), idempotencyKey: msg.idempotencyKey, at,
    conversationKey: msg.conversationKey, proactive: msg.proactive ? 1 : 0, customerKey: outboxCustomerKey(msg.channel, msg.customerId),
    orderId: msg.orderId ?? null,
  });
  return Number(res.rows[0]!.id);
}

/**
 * Claims up to `limit` due rows: pending ones whose time has come, and 'sending' ones whose
 * lease ran out (the process that took them died mid-send). Claiming bumps `attempts` and sets
 * a lease, in one statement. On Postgres `FOR UPDATE SKIP LOCKED` lets several instances claim
 * side by side without taking the same row; SQLite has one writer, so the update is atomic.
 */
export async function claimDue(db: Kysely<Database>, dialect: Dialect, now: number, leaseMs: number, limit: number): Promise<OutboxRow[]> {
  // Expired leases first (rare; the index on state finds them without scanning), then the due rows.
  await db.updateTable('outbox').set({ state: 'pending', locked_until: null })
    .where('state', '=', 'sending').where('locked_until', '<=', now).execute();
  let due = db.selectFrom('outbox').select('id')
    .where('state', '=', 'pending').where('next_attempt_at', '<=', now)
    .orderBy('next_attempt_at').limit(sql.lit(Math.trunc(limit))); // a literal: see LIMIT in prepared.ts
  if (dialect === 'postgres') due = due.forUpdate().skipLocked();
  const rows = await db.updateTable('outbox')
    .set((eb) => ({ state: 'sending', locked_until: now + leaseMs, attempts: eb('attempts', '+', 1), updated_at: now }))
    .where('id', 'in', due)
    .returningAll()
    .execute();
  return rows.map(toRow).sort((a, b) => a.id - b.id);
}

const updateSent = prepared<{ id: number; platformId: string | null; at: number }, never>((q, a) => q.updateTable('outbox')
  .set({ state: 'sent', platform_id: a('platformId'), locked_until: null, last_error: null, updated_at: a('at') })
  .where('id', '=', a('id')));

export async function markSent(q: Q, id: number, platformId: string | null, at: number): Promise<void> {
  await updateSent(q, { id, platformId, at });
}

export async function markRetry(q: Q, id: number, nextAttemptAt: number, error: string, at: number): Promise<void> {
  await q.updateTable('outbox').set({ state: 'pending', next_attempt_at: nextAttemptAt, locked_until: null, last_error: error, updated_at: at })
    .where('id', '=', id).execute();
}

export async function markFinal(q: Q, id: number, state: 'dead' | 'skipped', error: string, at: number): Promise<void> {
  await q.updateTable('outbox').set({ state, locked_until: null, last_error: error, updated_at: at })
    .where('id', '=', id).execute();
}

/**
 * A reply the platform accepted and later reported undelivered (微信客服 msg_send_fail): dead
 * after all, found by the idempotency key we sent as its msgid. Null when no sent row has it.
 */
export async function markUndelivered(q: Q, shopId: string, idempotencyKey: string, error: string, at: number): Promise<OutboxRow | null> {
  const row = await q.updateTable('outbox').set({ state: 'dead', last_error: error, updated_at: at })
    .where('idempotency_key', '=', idempotencyKey).where('shop_id', '=', shopId).where('state', '=', 'sent')
    .returningAll().executeTakeFirst();
  return row ? toRow(row) : null;
}

export async function countByState(q: Q): Promise<Record<OutboxState, number>> {
  const rows = await q.selectFrom('outbox').select(['state', (eb) => eb.fn.countAll<number>().as('n')]).groupBy('state').execute();
  const out: Record<OutboxState, number> = { pending: 0, sending: 0, sent: 0, dead: 0, skipped: 0 };
  for (const r of rows) out[r.state] = Number(r.n);
  return out;
}

export async function listOutbox(q: Q, shopId?: string): Promise<OutboxRow[]> {
  let query = q.selectFrom('outbox').selectAll().orderBy('id');
  if (shopId) query = query.where('shop_id', '=', shopId);
  return (await query.execute()).map(toRow);
}

function toRow(r: Selectable<OutboxTable>): OutboxRow {
  return {
    id: Number(r.id), messageId: Number(r.message_id), shopId: r.shop_id, channel: r.channel,
    message: JSON.parse(r.payload) as OutboundMessage, state: r.state, attempts: Number(r.attempts),
    nextAttemptAt: Number(r.next_attempt_at), lastError: r.last_error,
  };
}

/** Gives a claimed row back untried (an earlier reply in its conversation failed): order beats speed. */
export async function releaseClaim(q: Q, id: number, nextAttemptAt: number, at: number): Promise<void> {
  await q.updateTable('outbox')
    .set((eb) => ({ state: 'pending', next_attempt_at: nextAttemptAt, locked_until: null, attempts: eb('attempts', '-', 1), updated_at: at }))
    .where('id', '=', id).execute();
}

/** Claims exactly these rows if still pending (a greeting that must go now, ahead of the queue). */
export async function claimByIds(db: Kysely<Database>, ids: readonly number[], now: number, leaseMs: number): Promise<OutboxRow[]> {
  if (ids.length === 0) return [];
  const rows = await db.updateTable('outbox')
    .set((eb) => ({ state: 'sending', locked_until: now + leaseMs, attempts: eb('attempts', '+', 1), updated_at: now }))
    .where('id', 'in', [...ids]).where('state', '=', 'pending')
    .returningAll()
    .execute();
  return rows.map(toRow).sort((a, b) => a.id - b.id);
}

type Count = { n: number };

const countSent = prepared<{ shopId: string; conversationKey: string; since: number }, Count>((q, a) => q.selectFrom('outbox')
  .select((eb) => eb.fn.countAll<number>().as('n'))
  // A literal state: the index on (shop, conversation, updated_at) holds only sent rows.
  .where('shop_id', '=', a('shopId')).where('conversation_key', '=', a('conversationKey')).where('state', '=', sql.lit('sent'))
  .where('updated_at', '>=', a('since')));

/** Replies already sent in a conversation since a time (for per-customer-message reply caps). */
export async function countSentSince(q: Q, shopId: string, conversationKey: string, since: number): Promise<number> {
  return Number((await countSent(q, { shopId, conversationKey, since })).rows[0]!.n);
}

/** A literal, not a parameter: the planner then knows the partial cap indexes (proactive = 1) apply. */
const PROACTIVE = sql.lit(1);
const countForCustomer = prepared<{ shopId: string; customerKey: string; since: number }, Count>((q, a) => q.selectFrom('outbox')
  .select((eb) => eb.fn.countAll<number>().as('n'))
  .where('shop_id', '=', a('shopId')).where('customer_key', '=', a('customerKey')).where('proactive', '=', PROACTIVE)
  .where('created_at', '>=', a('since')).where('state', 'in', ['pending', 'sending', 'sent']));
const countForOrder = prepared<{ shopId: string; orderId: string }, Count>((q, a) => q.selectFrom('outbox')
  .select((eb) => eb.fn.countAll<number>().as('n'))
  .where('shop_id', '=', a('shopId')).where('order_id', '=', a('orderId')).where('proactive', '=', PROACTIVE)
  .where('state', 'in', ['pending', 'sending', 'sent']));

/** Proactive messages queued for a customer since a time (the daily cap), not counting skipped or dead ones. */
export async function countProactiveForCustomer(q: Q, shopId: string, channel: string, userId: string, since: number): Promise<number> {
  return Number((await countForCustomer(q, { shopId, customerKey: outboxCustomerKey(channel, userId), since })).rows[0]!.n);
}

/** Proactive messages queued for an order, ever (the per-order cap). */
export async function countProactiveForOrder(q: Q, shopId: string, orderId: string): Promise<number> {
  return Number((await countForOrder(q, { shopId, orderId })).rows[0]!.n);
}
