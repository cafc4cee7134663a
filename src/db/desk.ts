import type { Kysely, Transaction } from 'kysely';
import type { MediaRef } from '../../adapters/types.js';
import type { OutboundMessage } from '../types/index.js';
import { emptyState } from './conversations.js';
import { parseGuess } from './messages.js';
import type { MessageGuess } from './messages.js';
import type { ConversationState } from './conversations.js';
import { isPostgres } from './prepared.js';
import { STAFF_RULE, unanswered } from './waiting.js';
import type { Database, OutboxState } from './schema.js';

type Q = Kysely<Database> | Transaction<Database>;

export { STAFF_RULE } from './waiting.js';

/** How many conversations the desk lists at once; a shop with more people waiting has bigger problems. */
export const DESK_LIST_LIMIT = 200;

export interface DeskConversation {
  id: number;
  key: string;
  channel: string;
  customer: { id: number; userId: string; name: string | null; tags: string[]; tier: string | null };
  handedOffAt: number | null;
  /** A person has it (the bot is silent) until then; null when the bot answers. */
  handoffUntil: number | null;
  /** Who at the desk has it (took it or answered last), while a person has it. */
  staff: string | null;
  /** Why the bot handed it over (查物流：顾客发来了订单号 …), while a person has it; null when staff took it themselves. */
  reason: string | null;
  updatedAt: number;
  last: { direction: 'in' | 'out'; text: string | null; at: number } | null;
  /**
   * While a person has it: the customer's messages no person has answered yet — since when (the
   * first of them) and the latest one's text. The bot's own replies (the handoff reply, 请稍等)
   * answer nothing: a customer who said only 转人工 is waiting. Null when nobody waits.
   */
  waiting: { since: number; text: string | null } | null;
}

export interface DeskMessage {
  id: number;
  direction: 'in' | 'out';
  kind: string;
  text: string | null;
  /** Who wrote an out message: a rule's name, or STAFF_RULE. */
  rule: string | null;
  /** Staff name for STAFF_RULE, else the response name. */
  response: string | null;
  /** A customer's message the bot answered on a guess: the intent it took it for, how alike (0–1), and that intent's ask (the desk adds it). */
  guess: (MessageGuess & { ask?: string }) | null;
  at: number;
  /** Delivery of an out message: pending, sending, sent, dead, skipped; null for customer messages. */
  delivery: OutboxState | null;
  error: string | null;
  /** The pictures and files a customer's message carries (fetched from the platform on request, by index). */
  media: { kind: 'image' | 'file'; name: string | null }[];
}

/** Reads a channel's pictures and files out of a stored raw payload (the adapters know the shapes). */
export type MediaReader = (channel: string, raw: unknown) => MediaRef[];

function baseQuery(q: Q, shopId: string) {
  return q.selectFrom('conversations as c').innerJoin('customers as u', 'u.id', 'c.customer_id')
    .select(['c.id', 'c.key', 'c.state', 'c.handed_off_at', 'c.handoff_until', 'c.updated_at', 'u.id as customer_id', 'u.channel',
      'u.platform_user_id', 'u.name', 'u.tags', 'u.tier'])
    .where('c.shop_id', '=', shopId);
}
type BaseRow = Awaited<ReturnType<ReturnType<typeof baseQuery>['execute']>>[number];

/** The conversations with each one's latest message: two queries however many are listed (the desk polls every few seconds). */
async function withLast(q: Q, rows: BaseRow[], now: number): Promise<DeskConversation[]> {
  if (rows.length === 0) return [];
  const lastIds = await q.selectFrom('messages').select((eb) => ['conversation_id', eb.fn.max('id').as('id')])
    .where('conversation_id', 'in', rows.map((r) => Number(r.id))).where('kind', '!=', 'event')
    .groupBy('conversation_id').execute();
  const lastRows = lastIds.length === 0 ? [] : await q.selectFrom('messages').select(['conversation_id', 'direction', 'text', 'created_at'])
    .where('id', 'in', lastIds.map((r) => Number(r.id))).execute();
  const lastOf = new Map(lastRows.map((m) => [Number(m.conversation_id), m]));
  const waitingOf = await unanswered(q, rows.filter((r) => r.handoff_until != null && Number(r.handoff_until) > now).map((r) => Number(r.id)));
  const out: DeskConversation[] = [];
  for (const r of rows) {
    const last = lastOf.get(Number(r.id));
    const until = r.handoff_until == null ? null : Number(r.handoff_until);
    const held = until !== null && until > now;
    const state = held ? (JSON.parse(r.state) as Partial<ConversationState>) : {};
    out.push({
      id: Number(r.id), key: r.key, channel: r.channel,
      customer: { id: Number(r.customer_id), userId: r.platform_user_id, name: r.name, tags: JSON.parse(r.tags) as string[], tier: r.tier },
      handedOffAt: r.handed_off_at == null ? null : Number(r.handed_off_at),
      handoffUntil: held ? until : null,
      staff: state.handoffBy ?? null,
      reason: state.handoffReason ?? null,
      updatedAt: Number(r.updated_at),
      last: last ? { direction: last.direction, text: last.text, at: Number(last.created_at) } : null,
      waiting: waitingOf.get(Number(r.id)) ?? null,
    });
  }
  return out;
}

/**
 * Conversations a person has now (handoff not yet over): the customers waiting for an answer
 * first, the longest waiting first, then those answered, by when they were handed over.
 */
export async function listWithPerson(q: Q, shopId: string, now: number): Promise<DeskConversation[]> {
  const rows = await baseQuery(q, shopId).where('c.handoff_until', '>', now)
    .orderBy('c.handed_off_at').limit(DESK_LIST_LIMIT).execute();
  const listed = await withLast(q, rows, now);
  const key = (c: DeskConversation): [number, number] => (c.waiting ? [0, c.waiting.since] : [1, c.handedOffAt ?? 0]);
  return listed.sort((a, b) => key(a)[0] - key(b)[0] || key(a)[1] - key(b)[1]);
}

/** Customer messages looked at to find the latest conversations: enough for 50 chats of ten lines each. */
export const RECENT_SCAN_MESSAGES = 500;
/** Conversations the desk lists as recent. */
export const RECENT_CONVERSATIONS = 50;

/**
 * The conversations customers wrote in most recently (a person may want to step in before the
 * bot hands over). Read from the newest customer messages, newest first: no index on the
 * conversations' update time is paid on every webhook for a list staff open now and then.
 */
export async function listRecent(q: Q, shopId: string, now: number): Promise<DeskConversation[]> {
  const recent = await q.selectFrom('messages').select('conversation_id')
    .where('shop_id', '=', shopId).where('direction', '=', 'in').where('kind', '!=', 'event')
    .orderBy('id', 'desc').limit(RECENT_SCAN_MESSAGES).execute();
  const ids = [...new Set(recent.map((r) => Number(r.conversation_id)))].slice(0, RECENT_CONVERSATIONS);
  if (ids.length === 0) return [];
  const rows = await baseQuery(q, shopId).where('c.id', 'in', ids).execute();
  const byId = new Map(rows.map((r) => [Number(r.id), r]));
  return withLast(q, ids.flatMap((id) => byId.get(id) ?? []), now);
}

/** Who each conversation is with (channel, platform id, name), for lists that name the customer. */
export async function conversationCustomers(q: Q, shopId: string, ids: readonly number[]): Promise<Map<number, { channel: string; userId: string; name: string | null }>> {
  if (ids.length === 0) return new Map();
  const rows = await baseQuery(q, shopId).where('c.id', 'in', [...ids]).execute();
  return new Map(rows.map((r) => [Number(r.id), { channel: r.channel, userId: r.platform_user_id, name: r.name }]));
}

/** A customer's conversations, found by their platform id (staff paste it from an alert or the platform). */
export async function findByCustomer(q: Q, shopId: string, userId: string, now: number): Promise<DeskConversation[]> {
  const rows = await baseQuery(q, shopId).where('u.platform_user_id', '=', userId)
    .orderBy('c.updated_at', 'desc').limit(DESK_LIST_LIMIT).execute();
  return withLast(q, rows, now);
}

export async function deskConversation(q: Q, shopId: string, id: number, now: number): Promise<DeskConversation | undefined> {
  const rows = await baseQuery(q, shopId).where('c.id', '=', id).execute();
  return (await withLast(q, rows, now))[0];
}

const MESSAGE_COLUMNS = ['m.id', 'm.direction', 'm.kind', 'm.text', 'm.rule', 'm.response', 'm.guess', 'm.created_at', 'o.state', 'o.last_error'] as const;
type MessageWithDelivery = {
  id: number; direction: 'in' | 'out'; kind: string; text: string | null; rule: string | null; response: string | null;
  guess: string | null; created_at: number; state: OutboxState | null; last_error: string | null;
};

function toDeskMessage(r: MessageWithDelivery, media: MediaRef[] = []): DeskMessage {
  return {
    media: media.map((x) => ({ kind: x.kind, name: x.name ?? null })),
    id: Number(r.id), direction: r.direction, kind: r.kind, text: r.text, rule: r.rule, response: r.response, guess: parseGuess(r.guess), at: Number(r.created_at),
    delivery: r.direction === 'out' ? (r.state ?? null) : null,
    error: r.direction === 'out' ? (r.last_error ?? null) : null,
  };
}

/** The newest `limit` messages of a conversation, oldest first, with each reply's delivery. */
export async function deskTranscript(q: Q, conversationId: number, limit: number, mediaOf: MediaReader = () => []): Promise<DeskMessage[]> {
  const rows = await q.selectFrom('messages as m').leftJoin('outbox as o', 'o.message_id', 'm.id').select([...MESSAGE_COLUMNS, 'm.channel', 'm.raw'])
    .where('m.conversation_id', '=', conversationId)
    // A chat opening (inbound event) says nothing; an outbound one (a 微信客服 transfer) shows staff when the customer was passed on.
    .where((eb) => eb.or([eb('m.kind', '!=', 'event'), eb('m.direction', '=', 'out')]))
    .orderBy('m.id', 'desc').limit(limit).execute();
  return rows.reverse().map((r) => toDeskMessage(r, r.direction === 'in' && r.raw !== null ? mediaOf(r.channel, parseRaw(r.raw)) : []));
}

/** A stored raw payload; one that is not JSON any more (hand-edited, truncated) reads as nothing. */
function parseRaw(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return null;
  }
}

/** A customer's message of this shop, with what its pictures and files are read from; undefined when there is none. */
export async function inboundRaw(q: Q, shopId: string, messageId: number): Promise<{ channel: string; raw: unknown } | undefined> {
  const row = await q.selectFrom('messages').select(['channel', 'raw']).where('id', '=', messageId).where('shop_id', '=', shopId)
    .where('direction', '=', 'in').executeTakeFirst();
  return row ? { channel: row.channel, raw: row.raw === null ? null : parseRaw(row.raw) } : undefined;
}

/** A customer's message of this shop as staff teach from it: its words, kind and the bot's guess; undefined when there is none. */
export async function customerMessage(q: Q, shopId: string, messageId: number): Promise<{
  id: number; conversationId: number; kind: string; text: string | null; guess: MessageGuess | null;
} | undefined> {
  const row = await q.selectFrom('messages').select(['id', 'conversation_id', 'kind', 'text', 'guess'])
    .where('id', '=', messageId).where('shop_id', '=', shopId).where('direction', '=', 'in').executeTakeFirst();
  return row && { id: Number(row.id), conversationId: Number(row.conversation_id), kind: row.kind, text: row.text, guess: parseGuess(row.guess) };
}

/** Where replies in this conversation go (chat, session): from the newest reply queued in it, if any. */
export async function lastReplyContext(q: Q, conversationId: number): Promise<Record<string, unknown> | null> {
  const row = await q.selectFrom('messages as m').innerJoin('outbox as o', 'o.message_id', 'm.id').select('o.payload')
    .where('m.conversation_id', '=', conversationId).where('m.direction', '=', 'out').where('o.proactive', '=', 0)
    .orderBy('m.id', 'desc').limit(1).executeTakeFirst();
  return row ? (JSON.parse(row.payload) as OutboundMessage).replyContext : null;
}

/** `staff` takes the conversation until `until` (the bot stays silent), or gives it back (null). */
export async function setHandoff(q: Q, id: number, until: number | null, at: number, staff?: string): Promise<void> {
  const row = await q.selectFrom('conversations').select(['state', 'handoff_until']).where('id', '=', id)
    .$if(isPostgres(q), (qb) => qb.forUpdate()).executeTakeFirstOrThrow(); // read and written back: see conversations.ts selectByKey
  const state: ConversationState = { ...emptyState(), ...(JSON.parse(row.state) as Partial<ConversationState>), handoffUntil: until };
  const already = row.handoff_until != null && Number(row.handoff_until) > at;
  if (until === null) {
    state.misses = 0;
    delete state.handoffBy;
  } else if (staff !== undefined) state.handoffBy = staff;
  // The bot's reason belongs to its handoff: gone when given back, and not carried into staff taking a chat the bot had.
  if (until === null || !already) delete state.handoffReason;
  await q.updateTable('conversations')
    .set({ state: JSON.stringify(state), handoff_until: until, updated_at: at, ...(until !== null && !already ? { handed_off_at: at } : {}) })
    .where('id', '=', id).execute();
}

/** Staff are done: the bot answers this conversation again. Undefined when there is no such conversation. */
export async function releaseHandoff(q: Q, shopId: string, key: string, at: number): Promise<{ id: number; channel: string; userId: string } | undefined> {
  const row = await q.selectFrom('conversations as c').innerJoin('customers as u', 'u.id', 'c.customer_id')
    .select(['c.id', 'u.channel', 'u.platform_user_id']).where('c.shop_id', '=', shopId).where('c.key', '=', key).executeTakeFirst();
  if (!row) return undefined;
  await setHandoff(q, Number(row.id), null, at);
  return { id: Number(row.id), channel: row.channel, userId: row.platform_user_id };
}

/** Messages sent to a local-channel customer after the chat answered (staff replies, follow-ups), newer than `after`. */
export async function laterMessagesForLocal(q: Q, shopId: string, userId: string, after: number, limit: number): Promise<DeskMessage[]> {
  const rows = await q.selectFrom('messages as m')
    .innerJoin('conversations as c', 'c.id', 'm.conversation_id')
    .innerJoin('customers as u', 'u.id', 'c.customer_id')
    .innerJoin('outbox as o', 'o.message_id', 'm.id')
    .where('c.shop_id', '=', shopId)
    .select(MESSAGE_COLUMNS)
    .where('u.shop_id', '=', shopId).where('u.channel', '=', 'local').where('u.platform_user_id', '=', userId)
    // Queued counts as there: the local channel's own send is a no-op, this poll is the delivery,
    // and a cursor that skipped a row still pending would lose it.
    .where('m.id', '>', after).where('m.direction', '=', 'out').where('o.state', 'in', ['pending', 'sending', 'sent'])
    .where((eb) => eb.or([eb('o.proactive', '=', 1), eb('m.rule', '=', STAFF_RULE)]))
    .orderBy('m.id').limit(limit).execute();
  return rows.map((r) => toDeskMessage(r));
}

/** The newest message id of a local-channel customer (where a web chat starts collecting). */
export async function latestMessageIdForLocal(q: Q, shopId: string, userId: string): Promise<number> {
  const row = await q.selectFrom('messages as m')
    .innerJoin('conversations as c', 'c.id', 'm.conversation_id')
    .innerJoin('customers as u', 'u.id', 'c.customer_id')
    .select((eb) => eb.fn.max('m.id').as('id'))
    .where('c.shop_id', '=', shopId)
    .where('u.shop_id', '=', shopId).where('u.channel', '=', 'local').where('u.platform_user_id', '=', userId)
    .executeTakeFirst();
  return row?.id == null ? 0 : Number(row.id);
}

