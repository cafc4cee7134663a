import type { Kysely, Transaction } from 'kysely';
import type { ProductCycle } from '../engine/products.js';
import { sameProduct } from '../engine/products.js';
import { firstEventAt } from './orders.js';
import type { OrderData, OrderRow } from './orders.js';
import type { Database } from './schema.js';

type Q = Kysely<Database> | Transaction<Database>;

/** Orders that were paid and not refunded or closed: purchases. */
export const PAID_STATES = ['paid', 'shipped', 'arrived', 'signed', 'reviewed'] as const;
/** The events that show an order was paid; the first one's time is when it was bought (an order imported as shipped has no paid event). */
const BOUGHT_EVENTS = PAID_STATES.map((s) => `order.${s}`);

export interface Purchase {
  orderId: string;
  channel: string;
  userId: string;
  boughtAt: number;
  items: OrderData['items'];
}

/** Purchases with when each was bought: a shop's since a time, or one customer's. */
export async function purchases(
  q: Q, shopId: string, filter: { since?: number; customer?: { channel: string; userId: string } },
): Promise<Purchase[]> {
  let query = q.selectFrom('orders as o')
    .innerJoin('order_events as e', (j) => j.onRef('e.shop_id', '=', 'o.shop_id').onRef('e.order_id', '=', 'o.order_id'))
    .select((eb) => ['o.order_id', 'o.customer_channel', 'o.customer_user_id', 'o.data', eb.fn.min('e.occurred_at').as('bought_at')])
    .where('o.shop_id', '=', shopId).where('o.state', 'in', PAID_STATES)
    .where('e.outcome', '=', 'applied').where('e.type', 'in', BOUGHT_EVENTS)
    .groupBy(['o.order_id', 'o.customer_channel', 'o.customer_user_id', 'o.data']);
  if (filter.customer) {
    query = query.where('o.customer_channel', '=', filter.customer.channel).where('o.customer_user_id', '=', filter.customer.userId);
  }
  if (filter.since !== undefined) query = query.having((eb) => eb.fn.min('e.occurred_at'), '>=', filter.since);
  const rows = await query.execute();
  return rows.map((r) => ({
    orderId: r.order_id, channel: r.customer_channel, userId: r.customer_user_id, boughtAt: Number(r.bought_at),
    items: (JSON.parse(r.data) as OrderData).items,
  }));
}

/** When each of a customer's paid orders was bought, for rules with `purchases:` (domain.md §7 frequent buyers). */
export async function purchaseTimes(q: Q, shopId: string, channel: string, userId: string): Promise<number[]> {
  return (await purchases(q, shopId, { customer: { channel, userId } })).map((p) => p.boughtAt);
}

/**
 * Whether the order's customer bought one of its products again in a later order (domain.md §9:
 * the rebuying stage needs no reminder). Later: bought after this order's first event.
 */
export async function boughtAgainSince(
  q: Q, o: Pick<OrderRow, 'shopId' | 'orderId' | 'customerChannel' | 'customerUserId' | 'data'>, products: readonly ProductCycle[],
): Promise<boolean> {
  const since = await firstEventAt(q, o.shopId, o.orderId);
  if (since === null) return false;
  const later = (await purchases(q, o.shopId, { customer: { channel: o.customerChannel, userId: o.customerUserId } }))
    .filter((p) => p.orderId !== o.orderId && p.boughtAt > since);
  return later.some((p) => p.items.some((a) => o.data.items.some((b) => sameProduct(a.title, b.title, products))));
}
