import { sql } from 'kysely';
import type { Kysely, Transaction } from 'kysely';
import { toCustomer } from './customers.js';
import type { Customer } from './customers.js';
import type { Database, JobState } from './schema.js';

type Q = Kysely<Database> | Transaction<Database>;

/** Who an announcement (`xiaoer notify`) is offered to; the rule's own `when:` narrows it further when it runs. */
export interface AudienceFilter {
  /** Customers carrying this tag. */
  tag?: string;
  /** Wrote to the shop (or were named by an order) at or after this time. */
  seenSince?: number;
  /** Placed an order at or after this time that was paid (any state but created or closed unpaid). */
  boughtSince?: number;
}

/** Order states of a purchase: paid at some point (a refund was a purchase too). */
const BOUGHT_STATES = ['paid', 'shipped', 'arrived', 'signed', 'reviewed', 'refunded'] as const;

/** A shop's customers matching the filter, oldest first. */
export async function audience(q: Q, shopId: string, f: AudienceFilter): Promise<Customer[]> {
  let query = q.selectFrom('customers as c').selectAll('c').where('c.shop_id', '=', shopId).orderBy('c.id');
  // Tags are a JSON list: the quoted match narrows in SQL, the exact check is below.
  if (f.tag !== undefined) query = query.where('c.tags', 'like', `%${JSON.stringify(f.tag).replace(/[%_]/g, '')}%`);
  if (f.seenSince !== undefined) query = query.where('c.last_seen_at', '>=', f.seenSince);
  if (f.boughtSince !== undefined) {
    const since = f.boughtSince;
    // The (shop, channel, user, updated_at) index finds each customer's orders.
    query = query.where(({ exists, selectFrom }) => exists(selectFrom('orders as o').select('o.order_id')
      .whereRef('o.shop_id', '=', 'c.shop_id').whereRef('o.customer_channel', '=', 'c.channel')
      .whereRef('o.customer_user_id', '=', 'c.platform_user_id')
      .where('o.state', 'in', [...BOUGHT_STATES]).where('o.created_at', '>=', since)));
  }
  const customers = (await query.execute()).map(toCustomer);
  return f.tag === undefined ? customers : customers.filter((c) => c.tags.includes(f.tag!));
}

/** The key of a notice queued by `xiaoer notify`: one per rule, customer (or order) and shop-local day. */
export function noticeKey(shopId: string, rule: string, target: string, day: string): string {
  return `notify:${shopId}:${rule}:${target}:${day}`;
}

/** How a rule's notices stand, all days together; `held` counts the reasons the others did not go out. */
export interface NoticeCounts { waiting: number; sent: number; held: Map<string, number>; cancelled: number }

/**
 * A notice is a rule job; when it ran, the message it chose went out, or was held back as a
 * message job keyed after it (`job:<id>:0:skipped`, or `:deferred` past quiet hours, which then
 * runs in its own right), or the rule's conditions no longer held (the job's reason).
 */
export async function noticeCounts(q: Q, shopId: string, rule: string): Promise<NoticeCounts> {
  const counts: NoticeCounts = { waiting: 0, sent: 0, held: new Map(), cancelled: 0 };
  const hold = (reason: string | null) => counts.held.set(reason ?? 'not sent', (counts.held.get(reason ?? 'not sent') ?? 0) + 1);
  const ran: number[] = [];
  for (const r of await noticeRows(q, shopId, rule)) {
    if (r.state === 'pending' || r.state === 'running') counts.waiting += 1;
    else if (r.state === 'cancelled') counts.cancelled += 1;
    else if (r.state === 'skipped' || r.reason !== null) hold(r.reason);
    else ran.push(r.id);
  }
  const after = new Map<string, { state: string; reason: string | null }>();
  for (let i = 0; i < ran.length; i += CHUNK) {
    const keys = ran.slice(i, i + CHUNK).flatMap((id) => [`job:${id}:0:skipped`, `job:${id}:0:deferred`]);
    for (const j of await q.selectFrom('jobs').select(['dedup_key', 'state', 'reason']).where('dedup_key', 'in', keys).execute()) {
      after.set(j.dedup_key, { state: j.state, reason: j.reason });
    }
  }
  for (const id of ran) {
    const held = after.get(`job:${id}:0:skipped`) ?? after.get(`job:${id}:0:deferred`);
    if (!held || held.state === 'done') counts.sent += 1;
    else if (held.state === 'skipped') hold(held.reason);
    else counts.waiting += 1;
  }
  return counts;
}

/**
 * Staff stop an announcement under way (a mistake in its text, the wrong audience): the notices
 * not yet run. Their keys are set aside, so once the text is mended it can be sent the same day.
 */
export async function cancelNotices(q: Q, shopId: string, rule: string, reason: string, at: number): Promise<number> {
  const ids = (await noticeRows(q, shopId, rule)).filter((r) => r.state === 'pending').map((r) => r.id);
  let cancelled = 0;
  for (let i = 0; i < ids.length; i += CHUNK) {
    const res = await q.updateTable('jobs').set({ state: 'cancelled', reason, updated_at: at, dedup_key: sql<string>`dedup_key || ${`:cancelled:${at}`}` })
      .where('id', 'in', ids.slice(i, i + CHUNK)).where('state', '=', 'pending').executeTakeFirst();
    cancelled += Number(res.numUpdatedRows);
  }
  return cancelled;
}

/** Values per IN list: well under SQLite's bound-parameter limit. */
const CHUNK = 500;

async function noticeRows(q: Q, shopId: string, rule: string): Promise<{ id: number; state: JobState; reason: string | null }[]> {
  // A rule name may hold LIKE's wildcards: match the fixed prefix loosely, then exactly.
  const prefix = noticeKey(shopId, rule, '', '').slice(0, -2);
  const rows = await q.selectFrom('jobs').select(['id', 'state', 'reason', 'dedup_key']).where('shop_id', '=', shopId).where('rule', '=', rule)
    .where('dedup_key', 'like', 'notify:%').execute();
  return rows.filter((r) => r.dedup_key.startsWith(`${prefix}:`)).map((r) => ({ id: Number(r.id), state: r.state, reason: r.reason }));
}
