import type { OrderFact, Period } from '../db/report.js';

/** Reasons listed, most given first: the causes worth a look (domain.md §6: find the cause). */
export const REFUND_REASONS_SHOWN = 5;

export interface Refunds {
  /** Orders whose customer asked for a refund in the period, and orders refunded in it. */
  requested: number;
  refunded: number;
  /** The reasons given with the period's requests (as written), most given first. */
  reasons: { reason: string; orders: number }[];
}

/** Refund requests and refunds of the period (order.refund_requested, order.refunded), once per order. */
export function refunds(orders: readonly OrderFact[], p: Period): Refunds {
  const requested = new Map<string, OrderFact>();
  const refunded = new Set<string>();
  for (const o of orders) {
    if (o.at < p.from || o.at >= p.to) continue;
    if (o.type === 'order.refund_requested') requested.set(o.orderId, o);
    if (o.type === 'order.refunded') refunded.add(o.orderId);
  }
  const reasons = new Map<string, number>();
  for (const o of requested.values()) {
    const reason = o.refundReason?.trim();
    if (reason) reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
  }
  return {
    requested: requested.size, refunded: refunded.size,
    reasons: [...reasons].map(([reason, n]) => ({ reason, orders: n })).sort((a, b) => b.orders - a.orders || a.reason.localeCompare(b.reason)).slice(0, REFUND_REASONS_SHOWN),
  };
}
