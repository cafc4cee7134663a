import { durationMs, foldText } from '../playbook/compiled.js';

/**
 * How long one of a product lasts its buyer (domain.md §9: learn each product's repurchase cycle
 * and market by product stage). Shops list them in xiaoer.yml (`products:`); `xiaoer products`
 * learns them from the order history. `match` are words of the item's title.
 */
export interface ProductCycle {
  readonly match: readonly string[];
  readonly lasts: string;
}

export interface OrderItem {
  readonly title: string;
  readonly qty: number;
}

/** The first listed product whose words appear in the title (case- and width-folded, as rules' `items:`), or undefined. */
export function productOf(title: string, products: readonly ProductCycle[]): ProductCycle | undefined {
  const t = foldText(title);
  return products.find((p) => p.match.some((w) => t.includes(foldText(w))));
}

/**
 * When the order's first listed product runs out: each item lasts its product's cycle times its
 * quantity (two bottles last twice as long). The titles are those running out then (several when
 * they tie). Undefined when no item of the order is listed.
 */
export function firstUsedUp(items: readonly OrderItem[], products: readonly ProductCycle[]): { ms: number; titles: string[] } | undefined {
  let best: { ms: number; titles: string[] } | undefined;
  for (const item of items) {
    const p = productOf(item.title, products);
    if (!p) continue;
    const ms = durationMs(p.lasts) * item.qty;
    if (!best || ms < best.ms) best = { ms, titles: [item.title] };
    else if (ms === best.ms && !best.titles.includes(item.title)) best.titles.push(item.title);
  }
  return best;
}

/**
 * Whether two items are the same product for "bought it again": the same listed product when
 * the title is listed, else the same title.
 */
export function sameProduct(a: string, b: string, products: readonly ProductCycle[]): boolean {
  const pa = productOf(a, products);
  return pa ? pa === productOf(b, products) : foldText(a.trim()) === foldText(b.trim());
}
