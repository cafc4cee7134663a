import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { readEnvOptions } from '../config/env.js';
import type { ShopConfig } from '../config/schema.js';
import { cliConfig, pickShop } from './shops.js';
import { audience, cancelNotices, noticeCounts, noticeKey } from '../db/audience.js';
import type { AudienceFilter } from '../db/audience.js';
import { ensureCustomer } from '../db/customers.js';
import { migrateToLatest, openDb } from '../db/index.js';
import type { DbHandle } from '../db/index.js';
import { insertJob } from '../db/jobs.js';
import { getOrder } from '../db/orders.js';
import type { OrderRow } from '../db/orders.js';
import { formatProblem } from '../errors.js';
import { defaultSpreadMs, parseLocalDateTime, SPREAD_MAX_MS, spreadDueTimes } from '../engine/spread.js';
import { localStamp, localTime } from '../engine/time.js';
import { durationMs } from '../playbook/compiled.js';
import type { CompiledRule } from '../playbook/compiled.js';
import { loadPlaybooks } from '../playbook/load.js';
import { DURATION } from '../playbook/schema.js';
import { formatPreview, formatQueued } from './notify-format.js';
import { previewNotices } from './notify-preview.js';
import type { NoticeTarget } from './notify-preview.js';

/** Orders named in one `--orders` run; a crisis touches many, a typo should not touch the whole shop. */
const MAX_NOTIFY_ORDERS = 10_000;
/** Jobs written per transaction: one commit per customer would make a large announcement slow to queue. */
const QUEUE_CHUNK = 500;

export const NOTIFY_USAGE = `usage: xiaoer notify --shop ID --rule RULE (--tag TAG | --all | --orders O1,O2,… | --orders-file FILE) [options]
       xiaoer notify --shop ID --rule RULE --status | --cancel
  --seen-within 90d     only customers who wrote (or ordered) that recently   (with --tag or --all)
  --bought-within 180d  only customers with a paid order placed that recently (with --tag or --all)
  --start "2026-12-24 10:00"  begin then (shop time), not now
  --over 3h             spread over this much time outside quiet hours (default: at once up to 20
                        customers, else 30 min, 1 h per 1,000 customers); --over 0: all at once
  --dry-run             who would get it and what it says; nothing is queued (works while the rule is switched off)
  --status              how the rule's notices stand: waiting, sent, held back, cancelled
  --cancel              stop its notices that have not gone out yet
  e.g. --rule 到货通知 --tag 到货通知; --rule 节日问候 --all --seen-within 180d --dry-run;
       --rule 发货延迟致歉 --orders-file delayed.txt (one order id per line)
`;

interface Recipient { channel: string; userId: string; name: string | null; order: OrderRow | null; key: string }

/**
 * `xiaoer notify`: staff send a follow-up rule to many customers at once — 到货通知 to those who
 * asked, a holiday greeting or new-arrival notice to the shop's customers (domain.md §9), an
 * apology to the customers of delayed orders (§6). Each becomes a job the running service runs
 * when due, through the rule's conditions, quiet hours, caps and opt-outs like every proactive
 * message; many are spread at random over time (§11: bursts and steady beats get accounts banned).
 * Once per rule and customer (or order) per day.
 */
export async function runNotify(args: string[]): Promise<number> {
  const { values: v } = parseArgs({
    args, strict: true,
    options: {
      shop: { type: 'string', short: 's' }, rule: { type: 'string' }, tag: { type: 'string' }, all: { type: 'boolean' },
      orders: { type: 'string' }, 'orders-file': { type: 'string' }, 'seen-within': { type: 'string' }, 'bought-within': { type: 'string' },
      start: { type: 'string' }, over: { type: 'string' }, 'dry-run': { type: 'boolean' }, status: { type: 'boolean' }, cancel: { type: 'boolean' },
    },
  });
  const fail = (message: string) => (process.stderr.write(`${message}\n`), 1);
  const targets = [v.tag, v.all, v.orders, v['orders-file']].filter((x) => x !== undefined).length;
  const manage = (v.status ? 1 : 0) + (v.cancel ? 1 : 0);
  if (!v.shop || !v.rule || (manage === 0 ? targets !== 1 : manage > 1 || targets > 0)) return fail(NOTIFY_USAGE.trimEnd());
  for (const flag of ['seen-within', 'bought-within'] as const) {
    if (v[flag] === undefined) continue;
    if (!DURATION.test(v[flag])) return fail(`--${flag}: "${v[flag]}" is no duration; use one like 90d, 12h or 30m`);
    if (v.tag === undefined && !v.all) return fail(`--${flag} narrows --tag or --all (an order list names its customers already)`);
  }
  if (v.over !== undefined && v.over !== '0' && (!DURATION.test(v.over) || durationMs(v.over) > SPREAD_MAX_MS)) {
    return fail(`--over: "${v.over}" — use a duration like 3h or 2d (at most 7d), or 0 for all at once`);
  }
  let orderIds: string[] = [];
  if (v.orders !== undefined || v['orders-file'] !== undefined) {
    const text = v.orders ?? readFileSync(v['orders-file']!, 'utf8');
    orderIds = [...new Set(text.split(/[\s,，]+/).map((x) => x.trim()).filter(Boolean))];
    if (orderIds.length === 0 || orderIds.length > MAX_NOTIFY_ORDERS) return fail(`name 1 to ${MAX_NOTIFY_ORDERS} order ids (got ${orderIds.length})`);
  }
  const picked = pickShop(cliConfig(), v.shop, 'required');
  if ('error' in picked) return fail(picked.error);
  const { shop } = picked;
  const { playbook, problems } = loadPlaybooks(shop.playbooksDir);
  if (!playbook) {
    for (const p of problems) process.stderr.write(`${formatProblem(p)}\n`);
    return 1;
  }
  const rule = playbook.rules.find((r) => r.name === v.rule);
  if (!rule || rule.event !== 'schedule') return fail(`rule "${v.rule}" is not a follow-up rule (when: { event: schedule }) in ${shop.id}'s playbooks`);
  if (!rule.enabled && !v['dry-run'] && !v.status && !v.cancel) {
    return fail(`rule "${rule.name}" is switched off: set enabled: true in ${rule.file}:${rule.line} first (--dry-run previews it as it is)`);
  }
  const now = Date.now();
  const start = v.start === undefined ? now : parseLocalDateTime(v.start, shop.timezone);
  if (start === null) return fail(`--start: "${v.start}" — give the shop's local date and time as "YYYY-MM-DD HH:MM" (${shop.timezone})`);
  if (start < now - 60_000) return fail(`--start: ${v.start} has passed (now ${localStamp(now, shop.timezone)}, ${shop.timezone})`);

  const handle = openDb(readEnvOptions().databaseUrl);
  try {
    await migrateToLatest(handle.db);
    if (v.status || v.cancel) return await manageNotices(handle, shop, rule, v.cancel === true, now);
    const filter: AudienceFilter = {
      ...(v.tag !== undefined ? { tag: v.tag } : {}),
      ...(v['seen-within'] !== undefined ? { seenSince: now - durationMs(v['seen-within']) } : {}),
      ...(v['bought-within'] !== undefined ? { boughtSince: now - durationMs(v['bought-within']) } : {}),
    };
    const unknown: string[] = [];
    const recipients = orderIds.length ? await orderRecipients(handle, shop.id, orderIds, unknown) : (await audience(handle.db, shop.id, filter))
      .map((c) => ({ channel: c.channel, userId: c.platformUserId, name: c.name, order: null, key: `${c.channel}:${c.platformUserId}` }));
    if (unknown.length) process.stderr.write(`not found in shop ${shop.id}, skipped: ${unknown.join(', ')}\n`);
    const overMs = v.over === undefined ? defaultSpreadMs(recipients.length) : v.over === '0' ? 0 : durationMs(v.over);
    const due = spreadDueTimes(recipients.length, start, overMs, shop.timezone, shop.respect.quietHours, Math.random);
    const plan = { rule, shop, count: recipients.length, who: describeAudience(v, orderIds.length ? recipients.length : null), start, overMs, due };
    if (v['dry-run']) {
      const preview = await previewNotices(handle.db, shop, playbook, rule,
        recipients.map((r, i): NoticeTarget => ({ channel: r.channel, userId: r.userId, name: r.name, order: r.order, dueAt: due[i]! })), Math.random);
      process.stdout.write(formatPreview(plan, preview));
      return 0;
    }
    const day = localTime(start, shop.timezone).day;
    let queued = 0;
    for (let i = 0; i < recipients.length; i += QUEUE_CHUNK) {
      await handle.db.transaction().execute(async (trx) => {
        for (const [j, r] of recipients.slice(i, i + QUEUE_CHUNK).entries()) {
          const dueAt = due[i + j]!;
          // An order known only from `xiaoer orders import` may name a customer never recorded: record them.
          if (r.order) await ensureCustomer(trx, { shopId: shop.id, channel: r.channel, platformUserId: r.userId, name: r.name, at: now });
          queued += await insertJob(trx, {
            shopId: shop.id, kind: 'rule', rule: rule.name, category: rule.category, customerChannel: r.channel, customerUserId: r.userId,
            orderId: r.order?.orderId ?? null, dueAt, notAfter: rule.staleAfterMs === undefined ? null : dueAt + rule.staleAfterMs,
            dedupKey: noticeKey(shop.id, rule.name, r.key, day),
          }, now);
        }
      });
    }
    process.stdout.write(formatQueued(plan, queued));
    return 0;
  } finally {
    await handle.close();
  }
}

async function orderRecipients(handle: DbHandle, shopId: string, ids: readonly string[], unknown: string[]): Promise<Recipient[]> {
  const found: Recipient[] = [];
  for (const id of ids) {
    const order = await getOrder(handle.db, shopId, id);
    if (!order) unknown.push(id);
    else found.push({ channel: order.customerChannel, userId: order.customerUserId, name: order.data.customerName ?? null, order, key: `order:${id}` });
  }
  return found;
}

function describeAudience(v: { tag?: string; all?: boolean; 'seen-within'?: string; 'bought-within'?: string }, orders: number | null): string {
  if (orders !== null) return `the customers of ${orders} order(s)`;
  const narrow = [v['seen-within'] && `seen within ${v['seen-within']}`, v['bought-within'] && `bought within ${v['bought-within']}`].filter(Boolean);
  return `${v.tag !== undefined ? `customers tagged ${v.tag}` : 'all customers'}${narrow.length ? `, ${narrow.join(', ')}` : ''}`;
}

async function manageNotices(handle: DbHandle, shop: ShopConfig, rule: CompiledRule, cancel: boolean, now: number): Promise<number> {
  const cancelled = cancel ? await cancelNotices(handle.db, shop.id, rule.name, 'cancelled by staff (xiaoer notify --cancel)', now) : 0;
  const c = await noticeCounts(handle.db, shop.id, rule.name);
  if (cancel) process.stdout.write(`${rule.name}: ${cancelled} notice(s) not yet sent cancelled\n`);
  const held = [...c.held.values()].reduce((a, b) => a + b, 0);
  process.stdout.write(`${rule.name}: ${c.waiting} waiting, ${c.sent} sent, ${held} held back, ${c.cancelled} cancelled\n`);
  for (const [reason, n] of [...c.held].sort((a, b) => b[1] - a[1])) process.stdout.write(`  ${n}  ${reason}\n`);
  return 0;
}
