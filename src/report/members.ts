import type { OrderFact, Period } from '../db/report.js';
import { identityKey } from '../db/report.js';

/** Members' share of the period's sales (domain.md §8: member share of sales is a figure shops watch). */
export interface MemberSales {
  /** Orders paid in the period, and their amount. */
  orders: number;
  total: number;
  /** Of them, by customers with a tier now. */
  memberOrders: number;
  memberTotal: number;
  byTier: { tier: string; orders: number; total: number }[];
}

/**
 * Paid orders in the period by their customer's tier today (the shop's member system gives the
 * tier with order events or `xiaoer customers tier`; no history is kept, so an upgrade counts
 * back). null when the shop has no members at all: the section would only say zero.
 */
export function memberSales(orders: readonly OrderFact[], tiers: ReadonlyMap<string, string>, p: Period): MemberSales | null {
  if (tiers.size === 0) return null;
  const paid = new Map<string, OrderFact>();
  for (const o of orders) if (o.type === 'order.paid' && o.at >= p.from && o.at < p.to) paid.set(o.orderId, o);
  const out: MemberSales = { orders: paid.size, total: 0, memberOrders: 0, memberTotal: 0, byTier: [] };
  const byTier = new Map<string, { orders: number; total: number }>();
  for (const o of paid.values()) {
    out.total += o.total;
    const tier = tiers.get(identityKey(o.customerChannel, o.customerUserId));
    if (tier === undefined) continue;
    out.memberOrders += 1;
    out.memberTotal += o.total;
    const t = byTier.get(tier) ?? { orders: 0, total: 0 };
    byTier.set(tier, { orders: t.orders + 1, total: t.total + o.total });
  }
  out.byTier = [...byTier].map(([tier, t]) => ({ tier, ...t })).sort((a, b) => b.total - a.total || a.tier.localeCompare(b.tier));
  return out;
}
