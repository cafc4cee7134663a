import type { Purchase } from '../db/purchases.js';
import { durationMs } from '../playbook/compiled.js';
import { productOf } from '../engine/products.js';
import type { ProductCycle } from '../engine/products.js';

const DAY_MS = 86_400_000;
/** Two orders of one item by one customer this close together are one purchase split in two (a forgotten size, a second address), not a rebuy. */
export const SAME_PURCHASE_MS = DAY_MS;
/** Rebuys needed before a cycle is suggested: fewer are anecdotes. */
export const MIN_REBUYS = 5;
/** A listed cycle this far from what buyers do (either way, as a share of the learned one) is pointed out. */
export const DRIFT_SHARE = 0.25;

export interface ItemCycle {
  title: string;
  /** Times a customer bought it again. */
  rebuys: number;
  /** Customers who bought it again at least once. */
  buyers: number;
  /** Days from buying it to buying it again, per unit bought: the median and the middle half. */
  medianDays: number;
  lowDays: number;
  highDays: number;
  /** The xiaoer.yml products: entry its title matches, if any. */
  listed: { match: readonly string[]; lasts: string } | null;
  /** What to write in products: when there are enough rebuys and it is unlisted or far off; else null. */
  suggest: string | null;
}

export interface Cycles {
  purchases: number;
  customers: number;
  items: ItemCycle[];
  /** Items bought in the period that no customer bought twice. */
  onceOnly: number;
}

/**
 * How long each item lasts its buyers, learned from the shop's purchases (domain.md §9): for
 * every customer who bought an item again, the time between the two purchases divided by the
 * quantity of the first. Most rebought first.
 */
export function learnCycles(purchases: readonly Purchase[], products: readonly ProductCycle[]): Cycles {
  const byCustomer = new Map<string, Purchase[]>();
  for (const p of purchases) {
    const key = `${p.channel}:${p.userId}`;
    let own = byCustomer.get(key);
    if (!own) byCustomer.set(key, (own = []));
    own.push(p);
  }
  const gaps = new Map<string, { perUnit: number[]; buyers: number }>();
  const titles = new Set<string>();
  for (const own of byCustomer.values()) {
    own.sort((a, b) => a.boughtAt - b.boughtAt);
    const bought = new Map<string, { at: number; qty: number }[]>();
    for (const p of own) {
      for (const item of p.items) {
        const title = item.title.trim();
        titles.add(title);
        const list = bought.get(title) ?? [];
        const last = list.at(-1);
        if (last && p.boughtAt - last.at < SAME_PURCHASE_MS) last.qty += item.qty;
        else list.push({ at: p.boughtAt, qty: item.qty });
        bought.set(title, list);
      }
    }
    for (const [title, list] of bought) {
      if (list.length < 2) continue;
      const entry = gaps.get(title) ?? { perUnit: [], buyers: 0 };
      entry.buyers += 1;
      for (let i = 1; i < list.length; i++) entry.perUnit.push((list[i]!.at - list[i - 1]!.at) / list[i - 1]!.qty);
      gaps.set(title, entry);
    }
  }
  const items = [...gaps].map(([title, g]): ItemCycle => {
    const sorted = [...g.perUnit].sort((a, b) => a - b);
    const days = (q: number) => Math.round(quantile(sorted, q) / DAY_MS);
    const medianDays = Math.max(1, days(0.5));
    const p = productOf(title, products);
    const listed = p ? { match: p.match, lasts: p.lasts } : null;
    const off = listed !== null && Math.abs(durationMs(listed.lasts) / DAY_MS - medianDays) > DRIFT_SHARE * medianDays;
    const suggest = sorted.length < MIN_REBUYS ? null
      : listed === null ? `- { match: [${title}], lasts: ${medianDays}d }`
      : off ? `lasts: ${medianDays}d` : null;
    return { title, rebuys: sorted.length, buyers: g.buyers, medianDays, lowDays: days(0.25), highDays: days(0.75), listed, suggest };
  }).sort((a, b) => b.rebuys - a.rebuys || a.title.localeCompare(b.title));
  return { purchases: purchases.length, customers: byCustomer.size, items, onceOnly: titles.size - items.length };
}

/** Linear interpolation between the closest ranks; sorted ascending, not empty. */
function quantile(sorted: readonly number[], q: number): number {
  const at = (sorted.length - 1) * q;
  const lo = Math.floor(at);
  const hi = Math.ceil(at);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (at - lo);
}
