import { sql } from 'kysely';
import type { Kysely, Selectable, Transaction } from 'kysely';
import { isPostgres, prepared } from './prepared.js';
import type { ConversationsTable, Database } from './schema.js';

type Q = Kysely<Database> | Transaction<Database>;

/** What the engine remembers about one conversation between messages. */
export interface ConversationState {
  slots: Record<string, string>;
  /** rule name → times fired, when it last fired (epoch ms), and firings on that shop-local day */
  fired: Record<string, { count: number; lastAt: number; day: string; dayCount: number }>;
  /** response name → index of the variation this customer saw last */
  lastVariation: Record<string, number>;
  /** messages in a row that no rule understood */
  misses: number;
  /** while now < handoffUntil (epoch ms) a person has the conversation and the bot is silent */
  handoffUntil: number | null;
  /** What the bot's last answer asked the customer for (an `expect` action); lives for their next message only. */
  expecting?: string;
  /** The intents the bot's last answer offered (您是想问… 1. 2. 3.); lives for the customer's next message only. */
  suggested?: string[];
  /** Why the bot handed the conversation over (the rule's reason), shown at the desk while a person has it. */
  handoffReason?: string;
  /** The member of staff who took or answered the conversation at the desk (while handoffUntil runs). */
  handoffBy?: string;
}

export interface Conversation {
  id: number;
  /** created by this message */
  isNew: boolean;
  shopId: string;
  customerId: number;
  key: string;
  state: ConversationState;
  handedOffAt: number | null;
  handoffUntil: number | null;
}

/** The bot has the conversation again: no person, no one at the desk, no handoff reason. */
export function endHandoff(state: ConversationState): void {
  state.handoffUntil = null;
  delete state.handoffBy;
  delete state.handoffReason;
}

export function emptyState(): ConversationState {
  return { slots: {}, fired: {}, lastVariation: {}, misses: 0, handoffUntil: null };
}

type Row = Selectable<ConversationsTable>;
type NewConversation = { shopId: string; customerId: number; key: string; at: number };

/**
 * The conversation row is read, decided on and written back in one transaction. On Postgres
 * several instances may take the same customer's messages at once (a desk reply too): FOR UPDATE
 * makes the second wait for the first's commit and decide on its state — else both would count
 * one miss where there were two and the customer would not be handed over. SQLite has one
 * writer, so there the read is already current.
 */
const selectByKey = prepared<{ shopId: string; key: string }, Row>((q, a) => q.selectFrom('conversations').selectAll()
  .where('shop_id', '=', a('shopId')).where('key', '=', a('key')).$if(isPostgres(q), (qb) => qb.forUpdate()));
/** Returns no row when the conversation exists already (another instance created it meanwhile). */
const insertConversationIfAbsent = prepared<NewConversation, Row>((q, a) => q.insertInto('conversations')
  .values({ shop_id: a('shopId'), customer_id: a('customerId'), key: a('key'), state: '{}', created_at: a('at'), updated_at: a('at') })
  .onConflict((oc) => oc.columns(['shop_id', 'key']).doNothing())
  .returningAll());

/**
 * Finds the conversation by key, creating it on the first message (a read first: most messages
 * are not the first). Two instances taking a new customer's first messages at once both find
 * nothing; the insert lets one create it and the other reads it, so neither message is refused.
 */
export async function openConversation(q: Q, c: NewConversation): Promise<Conversation> {
  const found = (await selectByKey(q, c)).rows[0];
  if (found) return toConversation(found, false);
  const created = (await insertConversationIfAbsent(q, c)).rows[0];
  return created ? toConversation(created, true) : toConversation((await selectByKey(q, c)).rows[0]!, false);
}

type StateValues = { id: number; state: string; lastRule: string | null; at: number; handoffUntil: number | null };
const updateState = prepared<StateValues, never>((q, a) => q.updateTable('conversations')
  .set({ state: a('state'), last_rule_fired: a('lastRule'), updated_at: a('at'), handoff_until: a('handoffUntil') })
  .where('id', '=', a('id')));
const updateStateAndHandoff = prepared<StateValues & { handedOffAt: number | null }, never>((q, a) => q.updateTable('conversations')
  .set({ state: a('state'), last_rule_fired: a('lastRule'), updated_at: a('at'), handoff_until: a('handoffUntil'), handed_off_at: a('handedOffAt') })
  .where('id', '=', a('id')));

export async function saveConversationState(
  q: Q, id: number, state: ConversationState, lastRule: string | null, at: number, handedOffAt?: number | null,
): Promise<void> {
  const values = { id, state: JSON.stringify(state), lastRule, at, handoffUntil: state.handoffUntil };
  if (handedOffAt === undefined) await updateState(q, values);
  else await updateStateAndHandoff(q, { ...values, handedOffAt });
}

export interface HandedOff {
  id: number;
  shopId: string;
  key: string;
  handedOffAt: number | null;
  handoffUntil: number;
  /** Who at the desk took or answered it, if anyone yet. */
  staff: string | null;
}

/** Conversations a person has now (the bot is silent in them). */
export async function listHandedOff(q: Q, now: number, shopId?: string): Promise<HandedOff[]> {
  let query = q.selectFrom('conversations').select(['id', 'shop_id', 'key', 'state', 'handed_off_at', 'handoff_until'])
    .where('handoff_until', '>', now).orderBy('handed_off_at');
  if (shopId) query = query.where('shop_id', '=', shopId);
  return (await query.execute()).map((r) => ({
    id: Number(r.id), shopId: r.shop_id, key: r.key, handedOffAt: r.handed_off_at == null ? null : Number(r.handed_off_at), handoffUntil: Number(r.handoff_until),
    staff: (JSON.parse(r.state) as Partial<ConversationState>).handoffBy ?? null,
  }));
}

// The direct conversation last: once the customer wrote in a chat of their own, that is where the shop's messages (and what they ask) go.
const selectLatestOfCustomer = prepared<{ shopId: string; customerId: number; direct: string }, Row>((q, a) => q.selectFrom('conversations').selectAll()
  .where('shop_id', '=', a('shopId')).where('customer_id', '=', a('customerId'))
  .orderBy(sql`case when key = ${a('direct')} then 1 else 0 end`).orderBy('updated_at', 'desc').limit(sql.lit(1))
  .$if(isPostgres(q), (qb) => qb.forUpdate())); // read, decided on and written back: see selectByKey
/** The conversation proactive messages open for a customer who has not written yet. */
export function directKey(channel: string, userId: string): string {
  return `${channel}:direct:${userId}`;
}

/**
 * Where a proactive message to this customer goes: the latest chat they wrote in, else the direct
 * one (opened here when there is none yet).
 */
export async function conversationForCustomer(q: Q, c: { shopId: string; customerId: number; channel: string; userId: string; at: number }): Promise<Conversation> {
  const latest = (await selectLatestOfCustomer(q, { ...c, direct: directKey(c.channel, c.userId) })).rows[0];
  if (latest) return toConversation(latest, false);
  // No conversation yet: the direct one (its key is this customer's own).
  return openConversation(q, { shopId: c.shopId, customerId: c.customerId, key: directKey(c.channel, c.userId), at: c.at });
}

/** The conversation with this key, read to decide on and write back (locked on Postgres, as in openConversation); undefined when there is none. */
export async function conversationByKey(q: Q, shopId: string, key: string): Promise<Conversation | undefined> {
  const row = (await selectByKey(q, { shopId, key })).rows[0];
  return row ? toConversation(row, false) : undefined;
}

/** When the customer last wrote in this conversation (platform reply windows count from it). */
export async function lastInboundAt(q: Q, conversationId: number): Promise<number | null> {
  const row = await q.selectFrom('messages').select('created_at').where('conversation_id', '=', conversationId)
    .where('direction', '=', 'in').where('kind', '!=', 'event').orderBy('id', 'desc').limit(1).executeTakeFirst();
  return row ? Number(row.created_at) : null;
}

function toConversation(row: Selectable<ConversationsTable>, isNew: boolean): Conversation {
  const parsed = JSON.parse(row.state) as Partial<ConversationState>;
  return {
    id: Number(row.id), isNew, shopId: row.shop_id, customerId: Number(row.customer_id), key: row.key,
    state: { ...emptyState(), ...parsed },
    handedOffAt: row.handed_off_at == null ? null : Number(row.handed_off_at),
    handoffUntil: row.handoff_until == null ? null : Number(row.handoff_until),
  };
}
