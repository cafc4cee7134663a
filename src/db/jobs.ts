import type { Kysely, Selectable, Transaction } from 'kysely';
import type { Database, JobsTable, JobState } from './schema.js';
import type { Dialect } from './index.js';
import { prepared } from './prepared.js';

type Q = Kysely<Database> | Transaction<Database>;

export interface Job {
  id: number;
  shopId: string;
  kind: 'rule' | 'message';
  rule: string;
  category: 'care' | 'marketing';
  customerChannel: string;
  customerUserId: string;
  orderId: string | null;
  payload: Record<string, unknown>;
  dueAt: number;
  notAfter: number | null;
  state: JobState;
  attempts: number;
  reason: string | null;
}

export type NewJob = Pick<Job, 'shopId' | 'kind' | 'rule' | 'category' | 'customerChannel' | 'customerUserId' | 'orderId' | 'dueAt' | 'notAfter'>
  & Partial<Pick<Job, 'payload' | 'state' | 'reason'>>
  & {
    /** The same follow-up planned twice (a redelivered event) is one job. */
    dedupKey: string;
  };

/** 1 when queued, 0 when a job with its dedupKey was there already. */
export async function insertJob(q: Q, j: NewJob, at: number): Promise<number> {
  const res = await q.insertInto('jobs').values({
    shop_id: j.shopId, kind: j.kind, rule: j.rule, category: j.category, customer_channel: j.customerChannel,
    customer_user_id: j.customerUserId, order_id: j.orderId, payload: JSON.stringify(j.payload ?? {}), due_at: j.dueAt,
    not_after: j.notAfter, state: j.state ?? 'pending', attempts: 0, locked_until: null, reason: j.reason ?? null,
    dedup_key: j.dedupKey, created_at: at, updated_at: at,
  }).onConflict((oc) => oc.column('dedup_key').doNothing()).executeTakeFirst();
  return Number(res.numInsertedOrUpdatedRows ?? 0);
}

/** Cancels an order's pending follow-ups: of the named rules, and every marketing one if asked. */
export async function cancelJobs(q: Q, shopId: string, orderId: string, rules: readonly string[], marketing: boolean, reason: string, at: number): Promise<number> {
  if (!rules.length && !marketing) return 0;
  const res = await q.updateTable('jobs').set({ state: 'cancelled', reason, updated_at: at })
    .where('shop_id', '=', shopId).where('order_id', '=', orderId).where('state', '=', 'pending')
    .where((eb) => eb.or([
      ...(rules.length ? [eb('rule', 'in', [...rules])] : []),
      ...(marketing ? [eb('category', '=', 'marketing')] : []),
    ]))
    .executeTakeFirst();
  return Number(res.numUpdatedRows);
}

/**
 * Claims due jobs: pending and due, or running with an expired lease (the process died). On
 * Postgres SKIP LOCKED lets instances claim side by side; SQLite has one writer. The (state,
 * due_at) index keeps the cost proportional to the due rows, not the table.
 */
export async function claimDueJobs(db: Kysely<Database>, dialect: Dialect, now: number, leaseMs: number, limit: number): Promise<Job[]> {
  // Expired leases first (rare; found through the state index), then the due rows.
  await db.updateTable('jobs').set({ state: 'pending', locked_until: null })
    .where('state', '=', 'running').where('locked_until', '<=', now).execute();
  let due = db.selectFrom('jobs').select('id')
    .where('state', '=', 'pending').where('due_at', '<=', now)
    .orderBy('due_at').limit(limit);
  if (dialect === 'postgres') due = due.forUpdate().skipLocked();
  const rows = await db.updateTable('jobs')
    .set((eb) => ({ state: 'running', locked_until: now + leaseMs, attempts: eb('attempts', '+', 1), updated_at: now }))
    .where('id', 'in', due).returningAll().execute();
  return rows.map(toJob).sort((a, b) => a.dueAt - b.dueAt || a.id - b.id);
}

const updateFinished = prepared<{ id: number; state: JobState; reason: string | null; at: number }, never>((q, a) => q.updateTable('jobs')
  .set({ state: a('state'), reason: a('reason'), locked_until: null, updated_at: a('at') }).where('id', '=', a('id')));

export async function finishJob(q: Q, id: number, state: 'done' | 'skipped' | 'cancelled', reason: string | null, at: number): Promise<void> {
  await updateFinished(q, { id, state, reason, at });
}

export async function deferJob(q: Q, id: number, dueAt: number, reason: string, at: number): Promise<void> {
  await q.updateTable('jobs').set({ state: 'pending', due_at: dueAt, reason, locked_until: null, updated_at: at }).where('id', '=', id).execute();
}

/** `latest`: the most recently due first (finished ones: what happened lately), else the next due first. */
export async function listJobs(q: Q, o: { shopId?: string; states?: JobState[]; limit?: number; latest?: boolean } = {}): Promise<Job[]> {
  let query = (o.latest ? q.selectFrom('jobs').selectAll().orderBy('due_at', 'desc').orderBy('id', 'desc') : q.selectFrom('jobs').selectAll().orderBy('due_at').orderBy('id'))
    .limit(o.limit ?? 1000);
  if (o.shopId) query = query.where('shop_id', '=', o.shopId);
  if (o.states) query = query.where('state', 'in', o.states);
  return (await query.execute()).map(toJob);
}

function toJob(r: Selectable<JobsTable>): Job {
  return {
    id: Number(r.id), shopId: r.shop_id, kind: r.kind, rule: r.rule, category: r.category, customerChannel: r.customer_channel,
    customerUserId: r.customer_user_id, orderId: r.order_id, payload: JSON.parse(r.payload) as Record<string, unknown>,
    dueAt: Number(r.due_at), notAfter: r.not_after == null ? null : Number(r.not_after), state: r.state,
    attempts: Number(r.attempts), reason: r.reason,
  };
}
