import type { Kysely, Transaction } from 'kysely';
import type { Alert } from './alerts.js';
import { STAFF_RULE } from './waiting.js';
import { prepared } from './prepared.js';
import type { Database } from './schema.js';

type Q = Kysely<Database> | Transaction<Database>;

/**
 * Fast path for redeliveries. The unique indexes on (shop, channel, platform_message_id) and
 * (shop, channel, delivery_id) are the real guarantee; this only avoids doing the work twice.
 */
export async function isDuplicateInbound(
  q: Q, shopId: string, channel: string, platformMessageId: string, deliveryId: string | null,
): Promise<boolean> {
  const res = deliveryId === null
    ? await selectByMessageId(q, { shopId, channel, platformMessageId })
    : await selectByMessageOrDeliveryId(q, { shopId, channel, platformMessageId, deliveryId });
  return res.rows.length > 0;
}

type DedupArgs = { shopId: string; channel: string; platformMessageId: string };
const selectByMessageId = prepared<DedupArgs, { id: number }>((q, a) => q.selectFrom('messages').select('id')
  .where('shop_id', '=', a('shopId')).where('channel', '=', a('channel')).where('platform_message_id', '=', a('platformMessageId')));
const selectByMessageOrDeliveryId = prepared<DedupArgs & { deliveryId: string }, { id: number }>((q, a) => q.selectFrom('messages').select('id')
  .where('shop_id', '=', a('shopId')).where('channel', '=', a('channel'))
  .where((eb) => eb.or([eb('platform_message_id', '=', a('platformMessageId')), eb('delivery_id', '=', a('deliveryId'))])));

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
  /** Inbound: the intent the bot took from the message's likeness to examples, when no phrase matched. */
  guess?: MessageGuess | null;
}

/** A guessed reading of a customer's message (fallback.suggest.answerAbove): the intent and how alike (0–1). */
export interface MessageGuess {
  intent: string;
  score: number;
}

/** A stored guess; anything else (hand-edited, from a later version) reads as none rather than failing a report or the desk. */
export function parseGuess(raw: string | null): MessageGuess | null {
  if (raw === null) return null;
  try {
    const g = JSON.parse(raw) as Partial<MessageGuess> | null;
    return typeof g?.intent === 'string' && typeof g.score === 'number' ? { intent: g.intent, score: g.score } : null;
  } catch {
    return null;
  }
}

type MessageValues = Omit<NewMessage, 'raw' | 'guess'> & { raw: string | null; guess: string | null };
const insertMessageRow = prepared<MessageValues, { id: number }>((q, a) => q.insertInto('messages').values({
  shop_id: a('shopId'), channel: a('channel'), conversation_id: a('conversationId'), direction: a('direction'),
  platform_message_id: a('platformMessageId'), delivery_id: a('deliveryId'), kind: a('kind'), text: a('text'),
  rule: a('rule'), response: a('response'), raw: a('raw'), guess: a('guess'), created_at: a('at'),
}).returning('id'));

export async function insertMessage(q: Q, m: NewMessage): Promise<number> {
  const res = await insertMessageRow(q, {
    ...m, raw: m.raw === undefined ? null : JSON.stringify(m.raw), guess: m.guess ? JSON.stringify(m.guess) : null,
  });
  return Number(res.rows[0]!.id);
}

export interface MessageRow {
  id: number;
  direction: 'in' | 'out';
  kind: string;
  text: string | null;
  rule: string | null;
  response: string | null;
  createdAt: number;
}

export async function listConversationMessages(q: Q, conversationId: number, limit = 50): Promise<MessageRow[]> {
  const rows = await q.selectFrom('messages')
    .select(['id', 'direction', 'kind', 'text', 'rule', 'response', 'created_at'])
    .where('conversation_id', '=', conversationId).orderBy('id', 'desc').limit(limit).execute();
  return rows.reverse().map((r) => ({
    id: Number(r.id), direction: r.direction, kind: r.kind, text: r.text, rule: r.rule, response: r.response, createdAt: Number(r.created_at),
  }));
}

/** Messages sent to staff with an alert: enough to pick the conversation up without asking again. */
export const TRANSCRIPT_MESSAGES = 20;

/** The conversation's latest text messages as an alert quotes them. */
/** How a customer's message without words reads in an alert: staff should know a photo of the damage came. */
const WORDLESS: Readonly<Record<string, string>> = { image: '[图片，在接待台或平台客户端查看]', file: '[文件，在接待台或平台客户端查看]', other: '[语音、视频或其他非文字消息]' };

export async function alertTranscript(q: Q, conversationId: number): Promise<Alert['transcript']> {
  return (await listConversationMessages(q, conversationId, TRANSCRIPT_MESSAGES))
    .map((m) => (m.text === null && m.direction === 'in' && WORDLESS[m.kind] ? { ...m, text: WORDLESS[m.kind]! } : m))
    .filter((m) => m.text !== null)
    .map((m) => m.direction === 'in' ? { who: 'customer' as const, text: m.text! }
      : m.rule === STAFF_RULE ? { who: 'staff' as const, text: m.text!, name: m.response ?? '' }
        : { who: 'bot' as const, text: m.text! });
}

/** True for the errors both drivers raise when a unique index refuses a row. */
export function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: string; message?: string } | null;
  return e?.code === '23505' || e?.code === 'SQLITE_CONSTRAINT_UNIQUE' || e?.code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}
