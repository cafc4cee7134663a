/**
 * Who is waiting for a person, and since when. The desk's 待回复, `xiaoer handoff list` and the
 * longest-wait gauge measure it one way — the customer's messages since the handoff that no staff
 * reply has answered (the bot's own 请稍等 answers nothing); the 等待人工 reminder asks whether
 * anyone took or answered the handoff at all.
 */
import type { Kysely, Transaction } from 'kysely';
import type { ConversationState } from './conversations.js';
import type { Database } from './schema.js';

type Q = Kysely<Database> | Transaction<Database>;

/** The rule name of a message a person wrote at the staff desk (the `response` column holds their name). */
export const STAFF_RULE = '(staff)';

/**
 * For conversations a person has: the customer's messages since the handoff with no staff reply
 * after them (a note like a 微信客服 hand-back is no reply), the first one's time and the latest's text.
 */
export async function unanswered(q: Q, ids: number[]): Promise<Map<number, { since: number; text: string | null }>> {
  if (ids.length === 0) return new Map();
  const spans = await q.selectFrom('messages as m').innerJoin('conversations as c', 'c.id', 'm.conversation_id')
    .select((eb) => ['m.conversation_id', eb.fn.min('m.created_at').as('since'), eb.fn.max('m.id').as('latest')])
    .where('m.conversation_id', 'in', ids).where('m.direction', '=', 'in').where('m.kind', '!=', 'event')
    .whereRef('m.created_at', '>=', 'c.handed_off_at')
    .where(({ not, exists, selectFrom }) => not(exists(selectFrom('messages as s').select('s.id')
      .whereRef('s.conversation_id', '=', 'm.conversation_id').whereRef('s.id', '>', 'm.id')
      .where('s.rule', '=', STAFF_RULE).where('s.kind', '!=', 'event'))))
    .groupBy('m.conversation_id').execute();
  if (spans.length === 0) return new Map();
  const texts = await q.selectFrom('messages').select(['id', 'text']).where('id', 'in', spans.map((s) => Number(s.latest))).execute();
  const textOf = new Map(texts.map((t) => [Number(t.id), t.text]));
  return new Map(spans.map((s) => [Number(s.conversation_id), { since: Number(s.since), text: textOf.get(Number(s.latest)) ?? null }]));
}

/** Conversations a person has now, by shop (for /metrics). */
export async function countWithPerson(q: Q, now: number): Promise<Record<string, number>> {
  const rows = await q.selectFrom('conversations').select(['shop_id', (eb) => eb.fn.countAll<number>().as('n')])
    .where('handoff_until', '>', now).groupBy('shop_id').execute();
  return Object.fromEntries(rows.map((r) => [r.shop_id, Number(r.n)]));
}

/**
 * By shop, how long the customer waiting longest for a person's answer has waited (ms): the
 * figure an operator alerts on, since 找不到真人 is what customers complain about most.
 */
export async function longestWaits(q: Q, now: number): Promise<Record<string, number>> {
  const held = await q.selectFrom('conversations').select(['id', 'shop_id']).where('handoff_until', '>', now).execute();
  const waits = await unanswered(q, held.map((r) => Number(r.id)));
  const out: Record<string, number> = {};
  for (const r of held) {
    const w = waits.get(Number(r.id));
    if (w) out[r.shop_id] = Math.max(out[r.shop_id] ?? 0, now - w.since);
  }
  return out;
}

export interface WaitingHandoff {
  id: number;
  key: string;
  channel: string;
  customerUserId: string;
  customerName: string | null;
  handedOffAt: number;
}

/**
 * Conversations handed over in (after, upTo] that a person still has and nobody at the desk has
 * taken or answered since: the customers to remind staff of.
 */
export async function unansweredHandoffs(q: Q, shopId: string, after: number, upTo: number, now: number): Promise<WaitingHandoff[]> {
  const rows = await q.selectFrom('conversations as c').innerJoin('customers as u', 'u.id', 'c.customer_id')
    .select(['c.id', 'c.key', 'c.state', 'c.handed_off_at', 'u.channel', 'u.platform_user_id', 'u.name'])
    .where('c.shop_id', '=', shopId).where('c.handoff_until', '>', now)
    .where('c.handed_off_at', '>', after).where('c.handed_off_at', '<=', upTo)
    .orderBy('c.handed_off_at').execute();
  const out: WaitingHandoff[] = [];
  for (const r of rows) {
    if ((JSON.parse(r.state) as Partial<ConversationState>).handoffBy !== undefined) continue; // someone took it
    const at = Number(r.handed_off_at);
    const answered = await q.selectFrom('messages').select('id')
      .where('conversation_id', '=', Number(r.id)).where('rule', '=', STAFF_RULE).where('kind', '!=', 'event').where('created_at', '>=', at)
      .limit(1).executeTakeFirst();
    if (answered) continue;
    out.push({ id: Number(r.id), key: r.key, channel: r.channel, customerUserId: r.platform_user_id, customerName: r.name, handedOffAt: at });
  }
  return out;
}
