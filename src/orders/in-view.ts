import type { Kysely, Transaction } from 'kysely';
import { getOrder, latestOrdersOf } from '../db/orders.js';
import type { OrderRow } from '../db/orders.js';
import type { Database } from '../db/schema.js';
import type { OrderView } from '../engine/decide.js';
import type { CompiledPlaybook } from '../playbook/compiled.js';
import { perPlaybook } from '../playbook/derived.js';
import type { InboundMessage } from '../types/index.js';

/**
 * An order the customer has not heard about for this long is not what "我的快递到哪了" means:
 * past the journey and the 15-day review window (domain.md §5), the bot asks instead of guessing.
 */
export const ORDER_IN_VIEW_MS = 30 * 86_400_000;
/** Orders still on their way to the customer: what 我的快递到哪了 is most likely about. */
const UNDER_WAY: ReadonlySet<string> = new Set(['created', 'paid', 'shipped', 'arrived']);
/** What a customer types as an order number (the demo's and most platforms' ids: digits, maybe a short prefix). */
const ORDER_NUMBER = /[a-z]{0,4}\d{6,}/gi;
/** More numbers in one message than this are not looked up one by one (a pasted list goes to a person). */
const MAX_NUMBERS_LOOKED_UP = 3;

export function orderView(o: OrderRow): OrderView {
  return {
    id: o.orderId, state: o.state, total: o.data.total, items: o.data.items, courier: o.data.courier, trackingNo: o.data.trackingNo,
    review: o.data.review, exception: o.data.exception, closesAt: o.data.closesAt, signedAt: o.signedAt,
    ...(o.data.refund ? { refundReason: o.data.refund.reason } : {}),
  };
}

/** The order numbers a message may name (the first few). */
export function orderNumbersIn(text: string | null): string[] {
  return (text?.match(ORDER_NUMBER) ?? []).slice(0, MAX_NUMBERS_LOOKED_UP);
}

/** Whether any rule for customer messages has a condition on their order (else nothing is looked up). */
export const messagesReadOrders = perPlaybook((playbook) => playbook.rules.some((r) => r.enabled
  && (r.event === 'message' || r.event === 'first_message')
  && (r.orderStates !== undefined || r.exceptions !== undefined || r.reviewWindow !== undefined || r.items !== undefined || r.orderTotal !== undefined)));

/** Whether any rule for customer messages counts their purchases (else none are read). */
export const messagesReadPurchases = perPlaybook((playbook) => playbook.rules.some((r) => r.enabled
  && (r.event === 'message' || r.event === 'first_message' || r.event === 'session_start') && r.purchases !== undefined));

/**
 * The order a customer's message is about, for rules like 查物流 that answer from it: the order
 * the message names when it is this customer's, else their most recently changed one still under
 * way (else their most recently changed one), changed in the last 30 days. A number
 * that is not one of their orders means none: answering it with another order's parcel would
 * be wrong, and showing someone else's order would be worse.
 */
export async function orderInView(
  q: Kysely<Database> | Transaction<Database>, playbook: CompiledPlaybook, msg: Pick<InboundMessage, 'shopId' | 'channel' | 'customerId' | 'text' | 'receivedAt'>,
): Promise<OrderView | undefined> {
  if (!messagesReadOrders(playbook)) return undefined;
  const numbers = orderNumbersIn(msg.text);
  if (numbers.length > 0) {
    for (const id of numbers) {
      const o = await getOrder(q, msg.shopId, id);
      if (o && o.customerChannel === msg.channel && o.customerUserId === msg.customerId) return orderView(o);
    }
    return undefined;
  }
  const since = msg.receivedAt.getTime() - ORDER_IN_VIEW_MS;
  const recent = (await latestOrdersOf(q, msg.shopId, msg.channel, msg.customerId)).filter((o) => o.updatedAt >= since);
  // An order signed for, cancelled or refunded yesterday is not the parcel a customer asks after
  // when another is still on its way.
  const chosen = recent.find((o) => UNDER_WAY.has(o.state)) ?? recent[0];
  return chosen && orderView(chosen);
}
