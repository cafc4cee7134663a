import type { Kysely } from 'kysely';
import { STAFF_RULE } from './desk.js';
import type { Database } from './schema.js';
import { purchases } from './purchases.js';
import { parseGuess } from './messages.js';
import type { MessageGuess } from './messages.js';

/**
 * The raw facts `xiaoer report` counts, read for one shop and one period. Reports are run by
 * staff now and then, so these read the period's rows rather than keep counters on the webhook
 * path (an index or counter there would tax every message for a weekly figure).
 */

/** A customer's message (not an event such as opening the chat). */
export interface InboundFact {
  messageId: number;
  conversationId: number;
  customerId: number;
  at: number;
  text: string | null;
  /** The bot answered it by likeness to an intent's examples (no phrase matched). */
  guess: MessageGuess | null;
}

/** A reply the bot chose for a customer's message: stamped with that message's time. */
export interface ReplyFact {
  conversationId: number;
  /** The customer's message it answers was received at this time. */
  inboundAt: number;
  rule: string | null;
  state: string;
  /** When the platform took it (state sent). */
  sentAt: number | null;
}

export interface ProactiveFact {
  orderId: string | null;
  rule: string | null;
  sentAt: number;
  /** Whom it went to (identityKey), null on rows older than the outbox's customer key. */
  customer: string | null;
}

export interface OrderFact {
  orderId: string;
  type: string;
  at: number;
  customerChannel: string;
  customerUserId: string;
  items: { title: string; qty: number }[];
  /** The order's amount as the order system last gave it. */
  total: number;
  /** The reason given with the order's latest refund request, if any. */
  refundReason?: string | null;
  /** The province the parcel goes to, when the order system said. */
  province?: string;
}

export interface Period {
  from: number;
  to: number;
}

/**
 * Rows are stamped with the writer's clock when written, so created_at follows id — except for
 * small disorder (instances' clocks, a group commit's few milliseconds). Bounds are taken this
 * much before the period; the created_at conditions still decide which rows count.
 */
export const ID_ORDER_SLACK_MS = 3_600_000;
/**
 * How long before its last change an outbox row may have been queued: tries end within hours
 * (backoff is capped), but a service stopped for days sends what waited when it is back.
 */
export const OUTBOX_QUEUED_BEFORE_MS = 7 * 86_400_000;

/**
 * The id from which a table's rows are stamped at or after `at` (less the slack), found by
 * bisecting the primary key: about 30 point reads instead of a scan of every row ever written —
 * a year of a busy shop is tens of millions of messages, and a created_at index would tax every
 * webhook for a weekly report. The reports' queries start their range scans there.
 */
export async function firstIdFrom(db: Kysely<Database>, table: 'messages' | 'alerts' | 'outbox', at: number): Promise<number> {
  // Two queries: SQLite answers a lone min() or max() from the index end, but scans for both at once.
  const first = await db.selectFrom(table).select('id').orderBy('id', 'asc').limit(1).executeTakeFirst();
  const last = await db.selectFrom(table).select('id').orderBy('id', 'desc').limit(1).executeTakeFirst();
  if (!first || !last) return 0;
  let lo = Number(first.id);
  let hi = Number(last.id) + 1;
  const since = at - ID_ORDER_SLACK_MS;
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    const row = await db.selectFrom(table).select(['id', 'created_at']).where('id', '>=', mid).orderBy('id').limit(1).executeTakeFirst();
    if (row && Number(row.created_at) < since) lo = Number(row.id) + 1;
    else hi = mid; // no row from mid on, or it is already in the period: the start is at or before mid
  }
  return lo;
}

/** A period with the ids its rows start from in each table, found once for all of a report's queries. */
export interface ScanPeriod extends Period {
  startIds: { messages: number; alerts: number; outbox: number };
}

export async function scanPeriod(db: Kysely<Database>, p: Period): Promise<ScanPeriod> {
  const [messages, alerts, outbox] = await Promise.all([
    firstIdFrom(db, 'messages', p.from), firstIdFrom(db, 'alerts', p.from), firstIdFrom(db, 'outbox', p.from - OUTBOX_QUEUED_BEFORE_MS),
  ]);
  return { from: p.from, to: p.to, startIds: { messages, alerts, outbox } };
}

export async function inboundMessages(db: Kysely<Database>, shopId: string, p: ScanPeriod): Promise<InboundFact[]> {
  const rows = await db.selectFrom('messages as m').innerJoin('conversations as c', 'c.id', 'm.conversation_id')
    .select(['m.id', 'm.conversation_id', 'c.customer_id', 'm.created_at', 'm.text', 'm.guess'])
    .where('m.shop_id', '=', shopId).where('m.direction', '=', 'in').where('m.kind', '!=', 'event')
    .where('m.id', '>=', p.startIds.messages)
    .where('m.created_at', '>=', p.from).where('m.created_at', '<', p.to)
    .orderBy('m.created_at').execute();
  return rows.map((r) => ({
    messageId: Number(r.id), conversationId: Number(r.conversation_id), customerId: Number(r.customer_id), at: Number(r.created_at), text: r.text,
    guess: parseGuess(r.guess),
  }));
}

export async function replies(db: Kysely<Database>, shopId: string, p: ScanPeriod): Promise<ReplyFact[]> {
  const rows = await db.selectFrom('messages as m').innerJoin('outbox as o', 'o.message_id', 'm.id')
    .select(['m.conversation_id', 'm.created_at', 'm.rule', 'o.state', 'o.updated_at'])
    .where('m.shop_id', '=', shopId).where('m.direction', '=', 'out').where('o.proactive', '=', 0)
    .where('m.rule', '!=', STAFF_RULE) // the bot's replies; a person's are counted apart (staffReplies)
    .where('m.kind', '!=', 'event') // a 微信客服 transfer is queued like a reply but is none
    .where('m.id', '>=', p.startIds.messages)
    .where('m.created_at', '>=', p.from).where('m.created_at', '<', p.to)
    .execute();
  return rows.map((r) => ({
    conversationId: Number(r.conversation_id), inboundAt: Number(r.created_at), rule: r.rule, state: r.state,
    sentAt: r.state === 'sent' ? Number(r.updated_at) : null,
  }));
}

/** Proactive messages (follow-ups, order care) the platform took during the period. */
export async function proactiveSent(db: Kysely<Database>, shopId: string, p: ScanPeriod): Promise<ProactiveFact[]> {
  const rows = await db.selectFrom('outbox as o').innerJoin('messages as m', 'm.id', 'o.message_id')
    .select(['o.order_id', 'm.rule', 'o.updated_at', 'o.customer_key'])
    .where('o.shop_id', '=', shopId).where('o.proactive', '=', 1).where('o.state', '=', 'sent')
    .where('o.id', '>=', p.startIds.outbox)
    .where('o.updated_at', '>=', p.from).where('o.updated_at', '<', p.to)
    .execute();
  return rows.map((r) => ({ orderId: r.order_id, rule: r.rule, sentAt: Number(r.updated_at), customer: fromCustomerKey(r.customer_key) }));
}

/** The outbox names a customer "channel:userId" (channel names have no colon; user ids may). */
function fromCustomerKey(key: string | null): string | null {
  const at = key?.indexOf(':') ?? -1;
  return key && at > 0 ? identityKey(key.slice(0, at), key.slice(at + 1)) : null;
}

/** The shop's members: customers with a tier (domain.md §8), by identityKey. */
export interface MemberFact {
  tier: string;
  /** When they became a member (null: not known). */
  since: number | null;
}

export async function memberTiers(db: Kysely<Database>, shopId: string): Promise<Map<string, MemberFact>> {
  const rows = await db.selectFrom('customers').select(['channel', 'platform_user_id', 'tier', 'member_since'])
    .where('shop_id', '=', shopId).where('tier', 'is not', null).execute();
  return new Map(rows.map((r) => [identityKey(r.channel, r.platform_user_id), { tier: r.tier!, since: r.member_since == null ? null : Number(r.member_since) }]));
}

/**
 * Customers (by identityKey) who bought in [from, to): whom a lapsed-member count leaves out. A
 * purchase as 常客 and 复购 count it (src/db/purchases.ts): an order imported as shipped counts too.
 */
export async function payersBetween(db: Kysely<Database>, shopId: string, from: number, to: number): Promise<Set<string>> {
  const bought = await purchases(db, shopId, { since: from });
  return new Set(bought.filter((p) => p.boughtAt < to).map((p) => identityKey(p.channel, p.userId)));
}

/** Customers who said 退订 from `since` on (and have not said 订阅 since), by identityKey. */
export async function optOutsSince(db: Kysely<Database>, shopId: string, since: number): Promise<Map<string, number>> {
  const rows = await db.selectFrom('customers').select(['channel', 'platform_user_id', 'opted_out_at'])
    .where('shop_id', '=', shopId).where('opted_out_at', '>=', since).execute();
  return new Map(rows.map((r) => [identityKey(r.channel, r.platform_user_id), Number(r.opted_out_at)]));
}

/** Order events that happened from `since` on (applied ones), with the order's customer and items. */
export async function orderEventsSince(db: Kysely<Database>, shopId: string, since: number): Promise<OrderFact[]> {
  const rows = await db.selectFrom('order_events as e')
    .innerJoin('orders as o', (j) => j.onRef('o.shop_id', '=', 'e.shop_id').onRef('o.order_id', '=', 'e.order_id'))
    .select(['e.order_id', 'e.type', 'e.occurred_at', 'o.customer_channel', 'o.customer_user_id', 'o.data'])
    .where('e.shop_id', '=', shopId).where('e.outcome', '=', 'applied').where('e.occurred_at', '>=', since)
    .execute();
  return rows.map((r) => {
    const data = JSON.parse(r.data) as { items: OrderFact['items']; total?: number; refund?: { reason: string | null }; shipTo?: { province: string } };
    return {
      orderId: r.order_id, type: r.type, at: Number(r.occurred_at), customerChannel: r.customer_channel, customerUserId: r.customer_user_id,
      items: data.items, total: Number(data.total) || 0, ...(data.refund ? { refundReason: data.refund.reason } : {}),
      ...(data.shipTo ? { province: data.shipTo.province } : {}),
    };
  });
}

/** Messaging identities of these customers (customers.id → channel and platform user id). */
export async function customerIdentities(db: Kysely<Database>, ids: readonly number[]): Promise<Map<number, string>> {
  const out = new Map<number, string>();
  // Chunked: Postgres and SQLite both cap the number of bound parameters in one statement.
  for (let i = 0; i < ids.length; i += IDS_PER_QUERY) {
    const rows = await db.selectFrom('customers').select(['id', 'channel', 'platform_user_id'])
      .where('id', 'in', ids.slice(i, i + IDS_PER_QUERY)).execute();
    for (const r of rows) out.set(Number(r.id), identityKey(r.channel, r.platform_user_id));
  }
  return out;
}

const IDS_PER_QUERY = 500;

export function identityKey(channel: string, userId: string): string {
  return `${channel}\0${userId}`;
}

/** A reply a person wrote at the staff desk. */
export interface StaffReplyFact {
  conversationId: number;
  at: number;
  staff: string;
  text: string | null;
}

/** Replies staff wrote at the desk from the period's start on (`until`: the report's end, plus time to answer its last handoffs). */
export async function staffReplies(db: Kysely<Database>, shopId: string, p: ScanPeriod, until: number): Promise<StaffReplyFact[]> {
  const rows = await db.selectFrom('messages').select(['conversation_id', 'created_at', 'response', 'text'])
    .where('shop_id', '=', shopId).where('direction', '=', 'out').where('rule', '=', STAFF_RULE)
    .where('kind', '!=', 'event') // giving a 微信客服 conversation back is recorded as the person's, but is no reply
    .where('id', '>=', p.startIds.messages)
    .where('created_at', '>=', p.from).where('created_at', '<', until)
    .orderBy('created_at').execute();
  return rows.map((r) => ({ conversationId: Number(r.conversation_id), at: Number(r.created_at), staff: r.response ?? '', text: r.text }));
}

/** Each handoff to a person during the period (one per handoff alert: a conversation handed over twice counts twice). */
export async function handoffs(db: Kysely<Database>, shopId: string, p: ScanPeriod): Promise<{ conversationId: number; at: number }[]> {
  const rows = await db.selectFrom('alerts as a')
    .innerJoin('conversations as c', (j) => j.onRef('c.shop_id', '=', 'a.shop_id').onRef('c.key', '=', 'a.conversation_key'))
    .select(['c.id', 'a.created_at'])
    .where('a.shop_id', '=', shopId).where('a.kind', '=', 'handoff')
    .where('a.id', '>=', p.startIds.alerts)
    .where('a.created_at', '>=', p.from).where('a.created_at', '<', p.to)
    .orderBy('a.created_at').execute();
  return rows.map((r) => ({ conversationId: Number(r.id), at: Number(r.created_at) }));
}

/** Replies and follow-ups that ended undelivered during the period, by state (dead, skipped). */
export async function undelivered(db: Kysely<Database>, shopId: string, p: ScanPeriod): Promise<{ dead: number; skipped: number }> {
  const rows = await db.selectFrom('outbox').select(['state', (eb) => eb.fn.countAll<number>().as('n')])
    .where('shop_id', '=', shopId).where('state', 'in', ['dead', 'skipped'])
    .where('id', '>=', p.startIds.outbox)
    .where('updated_at', '>=', p.from).where('updated_at', '<', p.to)
    .groupBy('state').execute();
  const out = { dead: 0, skipped: 0 };
  for (const r of rows) if (r.state === 'dead' || r.state === 'skipped') out[r.state] = Number(r.n);
  return out;
}
