import type { Kysely, Transaction } from 'kysely';
import type { Database } from './schema.js';

type Q = Kysely<Database> | Transaction<Database>;

/**
 * Fast path for redeliveries. The unique indexes on (shop, channel, platform_message_id) and
 * (shop, channel, delivery_id) are the real guarantee; this only avoids doing the work twice.
 */
export async function isDuplicateInbound(
  q: Q, shopId: string, channel: string, platformMessageId: string, deliveryId: string | null,
): Promise<boolean> {
  const row = await q.selectFrom('messages').select('id')
    .where('shop_id', '=', shopId).where('channel', '=', channel)
    .where((eb) => deliveryId === null
      ? eb('platform_message_id', '=', platformMessageId)
      : eb.or([eb('platform_message_id', '=', platformMessageId), eb('delivery_id', '=', deliveryId)]))
    .executeTakeFirst();
  return row !== undefined;
}

export interface NewMessage {
  shopId: string;
  channel: string;
  conversationId: number;
  direction: 'in' | 'out';
  platformMessageId: string | null;
  deliveryId: string | null;
  kind: string;
  text: string | null;
  rule: string | null;
  response: string | null;
  raw: unknown;
  at: number;
}

export async function insertMessage(q: Q, m: NewMessage): Promise<number> {
  const row = await q.insertInto('messages').values({
    shop_id: m.shopId, channel: m.channel, conversation_id: m.conversationId, direction: m.direction,
    platform_message_id: m.platformMessageId, delivery_id: m.deliveryId, kind: m.kind, text: m.text,
    rule: m.rule, response: m.response, raw: m.raw === undefined ? null : JSON.stringify(m.raw), created_at: m.at,
  }).returning('id').executeTakeFirstOrThrow();
  return Number(row.id);
}

export interface MessageRow {
  id: number;
  direction: 'in' | 'out';
  text: string | null;
  rule: string | null;
  response: string | null;
  createdAt: number;
}

export async function listConversationMessages(q: Q, conversationId: number, limit = 50): Promise<MessageRow[]> {
  const rows = await q.selectFrom('messages')
    .select(['id', 'direction', 'text', 'rule', 'response', 'created_at'])
    .where('conversation_id', '=', conversationId).orderBy('id', 'desc').limit(limit).execute();
  return rows.reverse().map((r) => ({
    id: Number(r.id), direction: r.direction, text: r.text, rule: r.rule, response: r.response, createdAt: Number(r.created_at),
  }));
}

/** True for the errors both drivers raise when a unique index refuses a row. */
export function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: string; message?: string } | null;
  return e?.code === '23505' || e?.code === 'SQLITE_CONSTRAINT_UNIQUE' || e?.code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}
