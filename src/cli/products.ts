import { parseArgs } from 'node:util';
import { readEnvOptions } from '../config/env.js';
import { migrateToLatest, openDb } from '../db/index.js';
import { purchases } from '../db/purchases.js';
import { localStamp } from '../engine/time.js';
import { durationMs } from '../playbook/compiled.js';
import { DURATION } from '../playbook/schema.js';
import { learnCycles, MIN_REBUYS } from '../report/cycles.js';
import type { Cycles } from '../report/cycles.js';
import { cliConfig, pickShop } from './shops.js';

export const PRODUCTS_USAGE = 'usage: xiaoer products --shop ID [--since 365d] [--json]\n';
/** How far back purchases are read by default: a year holds every season's rebuys. */
const DEFAULT_SINCE = '365d';

/**
 * `xiaoer products --shop ID`: how long each item lasts its buyers, learned from the shop's paid
 * orders (domain.md §9), beside the `products:` cycles in xiaoer.yml that 复购提醒 uses, with
 * the line to write where one is missing or far from what buyers do.
 */
export async function runProducts(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, strict: true, options: { shop: { type: 'string', short: 's' }, since: { type: 'string' }, json: { type: 'boolean' } } });
  const since = values.since ?? DEFAULT_SINCE;
  if (!DURATION.test(since)) {
    process.stderr.write(`--since: use a duration like 365d or 90d (got "${since}")\n${PRODUCTS_USAGE}`);
    return 1;
  }
  const picked = pickShop(cliConfig(), values.shop, 'single');
  if ('error' in picked) {
    process.stderr.write(`${picked.error}\n${PRODUCTS_USAGE}`);
    return 1;
  }
  const shop = picked.shop;
  const from = Date.now() - durationMs(since);
  const handle = openDb(readEnvOptions().databaseUrl);
  try {
    await migrateToLatest(handle.db);
    const cycles = learnCycles(await purchases(handle.db, shop.id, { since: from }), shop.products);
    if (values.json) {
      process.stdout.write(`${JSON.stringify({ shop: shop.id, since: new Date(from).toISOString(), ...cycles }, null, 2)}\n`);
    } else {
      process.stdout.write(formatCycles(shop.id, `since ${localStamp(from, shop.timezone).slice(0, 10)} (${since})`, cycles));
    }
    return 0;
  } finally {
    await handle.close();
  }
}

export function formatCycles(shopId: string, period: string, c: Cycles): string {
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  const out = [`Repurchase cycles — shop ${shopId}, purchases ${period}: ${plural(c.purchases, 'paid order')}, ${plural(c.customers, 'customer')}`];
  if (c.items.length === 0) {
    out.push(c.purchases === 0 ? 'No paid orders in this time: nothing to learn from yet.' : 'No customer bought the same item twice in this time: nothing to learn from yet.');
    return `${out.join('\n')}\n`;
  }
  out.push('Days from buying an item to buying it again, per unit bought (the median, and the middle half of all rebuys):', '');
  const width = Math.max(4, ...c.items.map((i) => displayWidth(i.title)));
  out.push(`${pad('item', width)}  rebuys  buyers  median  middle half  products: in xiaoer.yml`);
  for (const i of c.items) {
    const listed = i.listed ? `${i.listed.lasts} (${i.listed.match.join(', ')})` : 'not listed';
    const note = i.rebuys < MIN_REBUYS ? `; too few rebuys to tell (${MIN_REBUYS} needed)`
      : i.suggest === null ? ' ✓'
      : i.listed ? `; buyers take ${i.medianDays}d — set ${i.suggest}` : `; add: ${i.suggest}`;
    out.push(`${pad(i.title, width)}  ${String(i.rebuys).padStart(6)}  ${String(i.buyers).padStart(6)}  ${`${i.medianDays} d`.padStart(6)}  ${`${i.lowDays}–${i.highDays} d`.padStart(11)}  ${listed}${note}`);
  }
  if (c.onceOnly > 0) out.push('', `${c.onceOnly} other item${c.onceOnly === 1 ? '' : 's'} no customer bought twice in this time.`);
  out.push('', 'A follow-up with beforeUsedUp (复购提醒 in playbooks/orders.yml) comes that long before an order\'s first listed product runs out.');
  return `${out.join('\n')}\n`;
}

/** Columns line up in a terminal: a Chinese character takes two. */
function displayWidth(s: string): number {
  let w = 0;
  for (const ch of s) w += /[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]/u.test(ch) ? 2 : 1;
  return w;
}

function pad(s: string, width: number): string {
  return s + ' '.repeat(Math.max(0, width - displayWidth(s)));
}
