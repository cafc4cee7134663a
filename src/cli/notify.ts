import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { readEnvOptions } from '../config/env.js';
import { cliConfig, pickShop } from './shops.js';
import { customersWithTag, ensureCustomer } from '../db/customers.js';
import { migrateToLatest, openDb } from '../db/index.js';
import { insertJob } from '../db/jobs.js';
import { getOrder } from '../db/orders.js';
import { formatProblem } from '../errors.js';
import { localTime } from '../engine/time.js';
import { loadPlaybooks } from '../playbook/load.js';

/** Orders named in one `--orders` run; a crisis touches many, a typo should not touch the whole shop. */
const MAX_NOTIFY_ORDERS = 10_000;

const USAGE = 'usage: xiaoer notify --shop ID --rule RULE (--tag TAG | --orders O1,O2,… | --orders-file FILE)\n'
  + '  (e.g. --rule 到货通知 --tag 到货通知, or --rule 发货延迟致歉 --orders-file delayed.txt with one order id per line)\n';

/**
 * `xiaoer notify --shop ID --rule 到货通知 --tag 到货通知`: staff say "it is back in stock" (or any
 * announcement); every customer with the tag gets the rule as a follow-up, through the same
 * quiet hours, caps and opt-outs as all proactive messages. With `--orders` the rule runs for
 * each named order, with the order's details (a delay or mis-shipment: tell every affected
 * customer first, domain.md §6). Run once a day at most per rule and customer or order.
 */
export async function runNotify(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args, strict: true,
    options: { shop: { type: 'string', short: 's' }, rule: { type: 'string' }, tag: { type: 'string' }, orders: { type: 'string' }, 'orders-file': { type: 'string' } },
  });
  const targets = [values.tag, values.orders, values['orders-file']].filter((v) => v !== undefined).length;
  if (!values.shop || !values.rule || targets !== 1) {
    process.stderr.write(USAGE);
    return 1;
  }
  let orderIds: string[] = [];
  if (values.tag === undefined) {
    const text = values.orders ?? readFileSync(values['orders-file']!, 'utf8');
    orderIds = [...new Set(text.split(/[\s,，]+/).map((x) => x.trim()).filter(Boolean))];
    if (orderIds.length === 0 || orderIds.length > MAX_NOTIFY_ORDERS) {
      process.stderr.write(`name 1 to ${MAX_NOTIFY_ORDERS} order ids (got ${orderIds.length})\n`);
      return 1;
    }
  }
  const env = readEnvOptions();
  const config = cliConfig();
  const picked = pickShop(config, values.shop, 'required');
  if ('error' in picked) {
    process.stderr.write(`${picked.error}\n`);
    return 1;
  }
  const { shop } = picked;
  const { playbook, problems } = loadPlaybooks(shop.playbooksDir);
  if (!playbook) {
    for (const p of problems) process.stderr.write(`${formatProblem(p)}\n`);
    return 1;
  }
  const rule = playbook.rules.find((r) => r.name === values.rule);
  if (!rule || rule.event !== 'schedule') {
    process.stderr.write(`rule "${values.rule}" is not a follow-up rule (when: { event: schedule }) in ${shop.id}'s playbooks\n`);
    return 1;
  }
  if (!rule.enabled) {
    process.stderr.write(`rule "${rule.name}" is switched off: set enabled: true in ${rule.file}:${rule.line} first\n`);
    return 1;
  }
  const handle = openDb(env.databaseUrl);
  try {
    await migrateToLatest(handle.db);
    const now = Date.now();
    const day = localTime(now, shop.timezone).day;
    const job = (c: { channel: string; userId: string }, orderId: string | null, key: string) => insertJob(handle.db, {
      shopId: shop.id, kind: 'rule', rule: rule.name, category: rule.category, customerChannel: c.channel, customerUserId: c.userId,
      orderId, dueAt: now, notAfter: rule.staleAfterMs === undefined ? null : now + rule.staleAfterMs,
      dedupKey: `notify:${shop.id}:${rule.name}:${key}:${day}`,
    }, now);
    if (values.tag !== undefined) {
      const customers = await customersWithTag(handle.db, shop.id, values.tag);
      for (const c of customers) await job({ channel: c.channel, userId: c.platformUserId }, null, `${c.channel}:${c.platformUserId}`);
      process.stdout.write(`${customers.length} customer(s) tagged ${values.tag}: "${rule.name}" queued (sent by the running service, within quiet hours and caps)\n`);
      return 0;
    }
    const unknown: string[] = [];
    for (const id of orderIds) {
      const order = await getOrder(handle.db, shop.id, id);
      if (!order) {
        unknown.push(id);
        continue;
      }
      // An order known only from `xiaoer orders import` may name a customer never recorded: record them.
      await ensureCustomer(handle.db, { shopId: shop.id, channel: order.customerChannel, platformUserId: order.customerUserId, name: order.data.customerName ?? null, at: now });
      await job({ channel: order.customerChannel, userId: order.customerUserId }, id, `order:${id}`);
    }
    process.stdout.write(`${orderIds.length - unknown.length} order(s): "${rule.name}" queued for their customers (sent by the running service, within quiet hours and caps)\n`);
    if (unknown.length) process.stderr.write(`not found in shop ${shop.id}, skipped: ${unknown.join(', ')}\n`);
    return 0;
  } finally {
    await handle.close();
  }
}
