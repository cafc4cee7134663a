import type { InboundFact, OrderFact, ProactiveFact } from '../db/report.js';
import { identityKey } from '../db/report.js';
import { groupInto } from './kpis.js';

/** A customer's message this soon after a notice counts as their answer to it. */
export const WROTE_BACK_WITHIN_MS = 24 * 3_600_000;
/** An order placed this soon after a notice counts as following it (as 询单转化率 counts 3 days). */
export const ORDERED_WITHIN_MS = 3 * 86_400_000;
/** 退订 this soon after a notice is taken as said to it. */
export const OPTED_OUT_WITHIN_MS = 24 * 3_600_000;

/** What one marketing rule's messages changed (domain.md §9: know what each campaign changed). */
export interface CampaignResult {
  rule: string;
  /** Customers it reached in the period (one each, however many it sent them). */
  customers: number;
  wroteBack: number;
  ordered: number;
  optedOut: number;
}

/**
 * For each marketing rule that sent in the period: of the customers it reached, how many wrote
 * back within a day, ordered within three days and said 退订 within a day of their first one. A
 * customer who wrote for another reason counts too — a figure to compare rules and weeks by, not
 * proof; 退订 is the one to watch (a notice that makes people leave is worse than none).
 */
export function campaignResults(
  marketing: ReadonlySet<string>, proactive: readonly ProactiveFact[], inbound: readonly InboundFact[], identities: ReadonlyMap<number, string>,
  orders: readonly OrderFact[], optOuts: ReadonlyMap<string, number>,
): CampaignResult[] {
  // Each rule's customers, at its first message to them in the period.
  const reached = new Map<string, Map<string, number>>();
  for (const p of proactive) {
    if (p.rule === null || p.customer === null || !marketing.has(p.rule)) continue;
    const byCustomer = reached.get(p.rule) ?? new Map<string, number>();
    byCustomer.set(p.customer, Math.min(byCustomer.get(p.customer) ?? Infinity, p.sentAt));
    reached.set(p.rule, byCustomer);
  }
  const wrote = timesBy(inbound.flatMap((m) => {
    const who = identities.get(m.customerId);
    return who === undefined ? [] : [[who, m.at] as const];
  }));
  const placed = timesBy(orders.filter((o) => o.type === 'order.created' || o.type === 'order.paid')
    .map((o) => [identityKey(o.customerChannel, o.customerUserId), o.at] as const));
  const within = (times: readonly number[] | undefined, from: number, ms: number) => (times ?? []).some((t) => t > from && t <= from + ms);
  return [...reached].map(([rule, byCustomer]) => {
    const r: CampaignResult = { rule, customers: byCustomer.size, wroteBack: 0, ordered: 0, optedOut: 0 };
    for (const [who, sentAt] of byCustomer) {
      if (within(wrote.get(who), sentAt, WROTE_BACK_WITHIN_MS)) r.wroteBack += 1;
      if (within(placed.get(who), sentAt, ORDERED_WITHIN_MS)) r.ordered += 1;
      const out = optOuts.get(who);
      if (out !== undefined && within([out], sentAt, OPTED_OUT_WITHIN_MS)) r.optedOut += 1;
    }
    return r;
  }).sort((a, b) => b.customers - a.customers || a.rule.localeCompare(b.rule));
}

function timesBy(pairs: readonly (readonly [string, number])[]): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const [who, at] of pairs) groupInto(out, who, at);
  return out;
}
