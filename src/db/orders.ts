import { sql } from 'kysely';
import type { Kysely, Selectable, Transaction } from 'kysely';
import { prepared } from './prepared.js';
import type { Database, OrdersTable } from './schema.js';

type Q = Kysely<Database> | Transaction<Database>;

export interface OrderData {
  total: number;
  items: { title: string; qty: number; price: number }[];
  courier?: string;
  trackingNo?: string;
  review?: { rating: number; text?: string };
  customerName?: string;
  /** When the order closes if unpaid (epoch ms), as the latest event that gave it said. */
  closesAt?: number;
  /** The latest logistics exception reported (order.exception). */
  exception?: { kind: string; note?: string };
  /** Province and city the parcel goes to, as the order system gave them. */
  shipTo?: { province: string; city?: string };
  /** The latest refund request (order.refund_requested): the customer's reason, when given. */
  refund?: { reason: string | null; at: number };
}

export interface OrderRow {
  shopId: string;
  orderId: string;
  state: string;
  customerChannel: string;
  customerUserId: string;
  data: OrderData;
  signedAt: number | null;
}

export async function getOrder(q: Q, shopId: string, orderId: string): Promise<OrderRow | undefined> {
  const r = await q.selectFrom('orders').selectAll().where('shop_id', '=', shopId).where('order_id', '=', orderId).executeTakeFirst();
  return r && toOrder(r);
}

/** A customer's most recently changed orders (what staff look at before answering them). */
export async function recentOrdersOf(q: Q, shopId: string, channel: string, userId: string, limit: number): Promise<(OrderRow & { updatedAt: number })[]> {
  const rows = await q.selectFrom('orders').selectAll()
    .where('shop_id', '=', shopId).where('customer_channel', '=', channel).where('customer_user_id', '=', userId)
    .orderBy('updated_at', 'desc').limit(sql.lit(Math.trunc(limit))).execute(); // a literal: see LIMIT in prepared.ts
  return rows.map((r) => ({ ...toOrder(r), updatedAt: Number(r.updated_at) }));
}

/** How many of a customer's latest orders a message is matched against (see orderInView). */
export const LATEST_ORDERS_READ = 5;
const selectLatestOf = prepared<{ shopId: string; channel: string; userId: string }, Selectable<OrdersTable>>((q, a) => q
  .selectFrom('orders').selectAll()
  .where('shop_id', '=', a('shopId')).where('customer_channel', '=', a('channel')).where('customer_user_id', '=', a('userId'))
  .orderBy('updated_at', 'desc').limit(sql.lit(LATEST_ORDERS_READ))); // a literal: see LIMIT in prepared.ts
/** A customer's most recently changed orders, latest first; read for every message when the playbook asks (查物流). */
export async function latestOrdersOf(q: Q, shopId: string, channel: string, userId: string): Promise<(OrderRow & { updatedAt: number })[]> {
  return (await selectLatestOf(q, { shopId, channel, userId })).rows.map((r) => ({ ...toOrder(r), updatedAt: Number(r.updated_at) }));
}

function toOrder(r: Selectable<OrdersTable>): OrderRow {
  return {
    shopId: r.shop_id, orderId: r.order_id, state: r.state, customerChannel: r.customer_channel, customerUserId: r.customer_user_id,
    data: JSON.parse(r.data) as OrderData, signedAt: r.signed_at == null ? null : Number(r.signed_at),
  };
}

/** When the order's first applied event happened (placed, or first heard of), or null. */
export async function firstEventAt(q: Q, shopId: string, orderId: string): Promise<number | null> {
  const first = await q.selectFrom('order_events').select((eb) => eb.fn.min('occurred_at').as('at'))
    .where('shop_id', '=', shopId).where('order_id', '=', orderId).where('outcome', '=', 'applied').executeTakeFirst();
  return first?.at == null ? null : Number(first.at);
}

/**
 * Whether the order's customer paid another order at or after this one's first event: two
 * orders for one purchase, one paid — the other is not to be chased (domain.md §4).
 */
export async function paidAnotherSince(q: Q, o: Pick<OrderRow, 'shopId' | 'orderId' | 'customerChannel' | 'customerUserId'>): Promise<boolean> {
  const since = await firstEventAt(q, o.shopId, o.orderId);
  if (since === null) return false;
  const paid = await q.selectFrom('order_events as e')
    .innerJoin('orders as o', (j) => j.onRef('o.shop_id', '=', 'e.shop_id').onRef('o.order_id', '=', 'e.order_id'))
    .select('e.event_id')
    .where('o.shop_id', '=', o.shopId).where('o.customer_channel', '=', o.customerChannel).where('o.customer_user_id', '=', o.customerUserId)
    .where('o.order_id', '!=', o.orderId)
    .where('e.type', '=', 'order.paid').where('e.outcome', '=', 'applied').where('e.occurred_at', '>=', since)
    .limit(1).executeTakeFirst();
  return paid !== undefined;
}

export async function saveOrder(q: Q, o: OrderRow, at: number): Promise<void> {
  await q.insertInto('orders').values({
    shop_id: o.shopId, order_id: o.orderId, state: o.state, customer_channel: o.customerChannel, customer_user_id: o.customerUserId,
    data: JSON.stringify(o.data), signed_at: o.signedAt, created_at: at, updated_at: at,
  }).onConflict((oc) => oc.columns(['shop_id', 'order_id']).doUpdateSet({
    state: o.state, data: JSON.stringify(o.data), signed_at: o.signedAt, updated_at: at,
  })).execute();
}

export async function orderEventSeen(q: Q, shopId: string, eventId: string): Promise<boolean> {
  return (await q.selectFrom('order_events').select('event_id').where('shop_id', '=', shopId).where('event_id', '=', eventId).executeTakeFirst()) !== undefined;
}

export async function recordOrderEvent(
  q: Q, e: { shopId: string; eventId: string; orderId: string; type: string; outcome: 'applied' | 'ignored'; reason: string | null; occurredAt: number; at: number },
): Promise<void> {
  await q.insertInto('order_events').values({
    shop_id: e.shopId, event_id: e.eventId, order_id: e.orderId, type: e.type, outcome: e.outcome, reason: e.reason,
    occurred_at: e.occurredAt, received_at: e.at,
  }).execute();
}
