import type { Kysely, Selectable, Transaction } from 'kysely';
import type { AlertsTable, Database } from './schema.js';

type Q = Kysely<Database> | Transaction<Database>;

export type AlertKind = 'handoff' | 'handoff_waiting' | 'dead_letter' | 'bad_review' | 'playbook_rejected' | 'rule' | 'report';

export interface NewAlert {
  shopId: string;
  kind: AlertKind;
  rule: string | null;
  conversationKey: string | null;
  customerId: string | null;
  text: string;
  /** staff: a person's reply from the desk (`name` says who). */
  transcript: { who: 'customer' | 'bot' | 'staff'; text: string; name?: string }[];
  at: number;
}

export interface Alert extends NewAlert {
  id: number;
  state: AlertsTable['state'];
  attempts: number;
  lastError: string | null;
  /** Robot names that have it. */
  deliveredTo: string[];
}

export async function insertAlert(q: Q, a: NewAlert): Promise<number> {
  const row = await q.insertInto('alerts').values({
    shop_id: a.shopId, kind: a.kind, rule: a.rule, conversation_key: a.conversationKey, customer_id: a.customerId,
    text: a.text, transcript: JSON.stringify(a.transcript), state: 'pending', attempts: 0, last_error: null,
    created_at: a.at, sent_at: null, delivered_to: '', next_attempt_at: 0,
  }).returning('id').executeTakeFirstOrThrow();
  return Number(row.id);
}

/**
 * Whether the same alert (shop, kind, text) was recorded at or after `since`: a broken playbook
 * saved twice, or seen by several instances, should reach staff once.
 */
export async function hasRecentAlert(q: Q, a: Pick<NewAlert, 'shopId' | 'kind' | 'text'>, since: number): Promise<boolean> {
  const row = await q.selectFrom('alerts').select('id')
    .where('shop_id', '=', a.shopId).where('kind', '=', a.kind).where('text', '=', a.text).where('created_at', '>=', since)
    .limit(1).executeTakeFirst();
  return row !== undefined;
}

/** Newest first. */
export async function listAlerts(q: Q, shopId?: string, limit = 50, state?: AlertsTable['state']): Promise<Alert[]> {
  let query = q.selectFrom('alerts').selectAll().orderBy('id', 'desc').limit(limit);
  if (shopId) query = query.where('shop_id', '=', shopId);
  if (state) query = query.where('state', '=', state);
  return (await query.execute()).map(toAlert);
}

/** Pending and failed alerts (by the state index; delivered ones are not counted). */
export async function countUndeliveredAlerts(q: Q): Promise<Record<'pending' | 'failed', number>> {
  const rows = await q.selectFrom('alerts').select(['state', (eb) => eb.fn.countAll<number>().as('n')])
    .where('state', 'in', ['pending', 'failed']).groupBy('state').execute();
  const out = { pending: 0, failed: 0 };
  for (const r of rows) if (r.state !== 'sent') out[r.state] = Number(r.n);
  return out;
}

/**
 * Failed alerts back to pending with fresh tries (after a robot key is fixed, say); the running
 * service sends them within a second. Only `ids` when given. Returns how many were re-queued.
 */
export async function retryFailedAlerts(q: Q, shopId: string, ids?: readonly number[]): Promise<number> {
  if (ids?.length === 0) return 0;
  let query = q.updateTable('alerts').set({ state: 'pending', attempts: 0, next_attempt_at: 0, last_error: null })
    .where('shop_id', '=', shopId).where('state', '=', 'failed');
  if (ids) query = query.where('id', 'in', [...ids]);
  const result = await query.executeTakeFirst();
  return Number(result.numUpdatedRows);
}

function toAlert(r: Selectable<AlertsTable>): Alert {
  return {
    id: Number(r.id), shopId: r.shop_id, kind: r.kind as AlertKind, rule: r.rule, conversationKey: r.conversation_key,
    customerId: r.customer_id, text: r.text, transcript: JSON.parse(r.transcript) as Alert['transcript'],
    at: Number(r.created_at), state: r.state, attempts: Number(r.attempts), lastError: r.last_error,
    deliveredTo: r.delivered_to ? r.delivered_to.split(',') : [],
  };
}

/** Pending alerts whose next try is due, oldest first. */
export async function pendingAlerts(q: Q, limit: number, now: number): Promise<Alert[]> {
  return (await q.selectFrom('alerts').selectAll()
    .where('state', '=', 'pending').where('next_attempt_at', '<=', now)
    .orderBy('id').limit(limit).execute()).map(toAlert);
}

/** Records that `robot` has these alerts (each alert once per robot, however often it is tried). */
export async function markDelivered(q: Q, alerts: readonly Alert[], robot: string): Promise<void> {
  // Alerts with the same robots so far get the same new list: one update per distinct list.
  const byList = new Map<string, number[]>();
  for (const a of alerts) {
    if (a.deliveredTo.includes(robot)) continue;
    const list = [...a.deliveredTo, robot].join(',');
    byList.set(list, [...(byList.get(list) ?? []), a.id]);
  }
  for (const [list, ids] of byList) {
    await q.updateTable('alerts').set({ delivered_to: list }).where('id', 'in', ids).execute();
  }
}

export async function markAlerts(q: Q, ids: readonly number[], state: 'sent' | 'failed', error: string | null, at: number): Promise<void> {
  if (ids.length === 0) return;
  await q.updateTable('alerts')
    .set((eb) => ({ state, last_error: error, attempts: eb('attempts', '+', 1), ...(state === 'sent' ? { sent_at: at } : {}) }))
    .where('id', 'in', [...ids]).execute();
}

/**
 * A robot refused or failed: one more try counted; the alert is tried again at `retryAt`, or
 * marked failed (it stays listed) once it has had `maxAttempts`.
 */
export async function recordAlertFailure(q: Q, ids: readonly number[], error: string, retryAt: number, maxAttempts: number): Promise<void> {
  if (ids.length === 0) return;
  await q.updateTable('alerts')
    .set((eb) => ({
      attempts: eb('attempts', '+', 1),
      last_error: error,
      next_attempt_at: retryAt,
      state: eb.case().when('attempts', '>=', maxAttempts - 1).then('failed' as const).else('pending' as const).end(),
    }))
    .where('id', 'in', [...ids]).execute();
}
