import type { InboundFact, MemberFact, OrderFact, Period } from '../db/report.js';
import { identityKey } from '../db/report.js';

/**
 * A member without a paid order for this long is counted as lapsed (流失) — half a year, past
 * most products' repurchase cycle and a season's sales.
 */
export const LAPSED_AFTER_MS = 180 * 86_400_000;

/** The figures shops watch about members (domain.md §8): new members, activity, churn, share of sales. */
export interface MemberSales {
  /** Customers with a tier now, and those who got one in the period. */
  members: number;
  newMembers: number;
  /** Members who wrote or paid an order in the period. */
  active: number;
  /** Members for half a year at least, without a paid order in the half year to the period's end. */
  lapsed: number;
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
 * `paidRecently`: customers who paid in the LAPSED_AFTER_MS before the period's end.
 */
export function memberSales(
  orders: readonly OrderFact[], members: ReadonlyMap<string, MemberFact>, p: Period,
  inbound: readonly InboundFact[], identities: ReadonlyMap<number, string>, paidRecently: ReadonlySet<string>,
): MemberSales | null {
  if (members.size === 0) return null;
  const paid = new Map<string, OrderFact>();
  for (const o of orders) if (o.type === 'order.paid' && o.at >= p.from && o.at < p.to) paid.set(o.orderId, o);
  const out: MemberSales = {
    members: members.size, newMembers: 0, active: 0, lapsed: 0, orders: paid.size, total: 0, memberOrders: 0, memberTotal: 0, byTier: [],
  };
  const seen = new Set<string>();
  for (const m of inbound) if (m.at >= p.from && m.at < p.to) seen.add(identities.get(m.customerId) ?? '');
  const byTier = new Map<string, { orders: number; total: number }>();
  for (const o of paid.values()) {
    out.total += o.total;
    const who = identityKey(o.customerChannel, o.customerUserId);
    seen.add(who);
    const member = members.get(who);
    if (member === undefined) continue;
    out.memberOrders += 1;
    out.memberTotal += o.total;
    const t = byTier.get(member.tier) ?? { orders: 0, total: 0 };
    byTier.set(member.tier, { orders: t.orders + 1, total: t.total + o.total });
  }
  for (const [who, m] of members) {
    // A report up to now counts one who joined in its very millisecond too.
    if (m.since !== null && m.since >= p.from && m.since <= p.to) out.newMembers += 1;
    if (seen.has(who)) out.active += 1;
    if (m.since !== null && m.since <= p.to - LAPSED_AFTER_MS && !paidRecently.has(who)) out.lapsed += 1;
  }
  out.byTier = [...byTier].map(([tier, t]) => ({ tier, ...t })).sort((a, b) => b.total - a.total || a.tier.localeCompare(b.tier));
  return out;
}
