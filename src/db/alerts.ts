import type { Kysely, Selectable, Transaction } from 'kysely';
import type { AlertsTable, Database } from './schema.js';

type Q = Kysely<Database> | Transaction<Database>;

export type AlertKind = 'handoff' | 'dead_letter' | 'bad_review' | 'playbook_rejected' | 'rule';

export interface NewAlert {
  shopId: string;
  kind: AlertKind;
  rule: string | null;
  conversationKey: string | null;
  customerId: string | null;
  text: string;
  transcript: { who: 'customer' | 'bot'; text: string }[];
  at: number;
}

export interface Alert extends NewAlert {
  id: number;
  state: AlertsTable['state'];
}

export async function insertAlert(q: Q, a: NewAlert): Promise<number> {
  const row = await q.insertInto('alerts').values({
    shop_id: a.shopId, kind: a.kind, rule: a.rule, conversation_key: a.conversationKey, customer_id: a.customerId,
    text: a.text, transcript: JSON.stringify(a.transcript), state: 'pending', attempts: 0, last_error: null,
    created_at: a.at, sent_at: null,
  }).returning('id').executeTakeFirstOrThrow();
  return Number(row.id);
}

export async function listAlerts(q: Q, shopId?: string, limit = 50): Promise<Alert[]> {
  let query = q.selectFrom('alerts').selectAll().orderBy('id', 'desc').limit(limit);
  if (shopId) query = query.where('shop_id', '=', shopId);
  return (await query.execute()).map(toAlert);
}

function toAlert(r: Selectable<AlertsTable>): Alert {
  return {
    id: Number(r.id), shopId: r.shop_id, kind: r.kind as AlertKind, rule: r.rule, conversationKey: r.conversation_key,
    customerId: r.customer_id, text: r.text, transcript: JSON.parse(r.transcript) as Alert['transcript'],
    at: Number(r.created_at), state: r.state,
  };
}

export async function pendingAlerts(q: Q, limit: number): Promise<Alert[]> {
  return (await q.selectFrom('alerts').selectAll().where('state', '=', 'pending').orderBy('id').limit(limit).execute()).map(toAlert);
}

export async function markAlerts(q: Q, ids: readonly number[], state: 'sent' | 'failed' | 'pending', error: string | null, at: number): Promise<void> {
  if (ids.length === 0) return;
  await q.updateTable('alerts')
    .set((eb) => ({ state, last_error: error, attempts: eb('attempts', '+', 1), ...(state === 'sent' ? { sent_at: at } : {}) }))
    .where('id', 'in', [...ids]).execute();
}

export async function alertAttempts(q: Q, id: number): Promise<number> {
  const row = await q.selectFrom('alerts').select('attempts').where('id', '=', id).executeTakeFirst();
  return Number(row?.attempts ?? 0);
}
