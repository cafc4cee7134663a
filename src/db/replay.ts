import type { Kysely } from 'kysely';
import type { Database } from './schema.js';

/** A customer's message as it arrived, with what the engine needs to read it again. */
export interface PastMessage {
  id: number;
  at: number;
  channel: string;
  text: string;
  /** It opened its conversation (first_message rules apply to it). */
  opened: boolean;
  customer: { name: string | null; firstSeenAt: number; tags: string[]; tier: string | null };
}

/** Conversations looked up per query when finding which message opened each (well inside any database's parameter limit). */
const OPENERS_CHUNK = 500;

/**
 * The shop's customers' text messages since `since`, newest first, at most `limit`: what
 * `xiaoer replay` reads again with a draft of the playbooks. Tags and tier are the customer's
 * today (the history of tags is not kept).
 */
export async function recentCustomerTexts(db: Kysely<Database>, shopId: string, since: number, limit: number): Promise<PastMessage[]> {
  const rows = await db.selectFrom('messages as m').innerJoin('conversations as c', 'c.id', 'm.conversation_id').innerJoin('customers as u', 'u.id', 'c.customer_id')
    .select(['m.id', 'm.created_at', 'm.channel', 'm.text', 'm.conversation_id', 'u.name', 'u.first_seen_at', 'u.tags', 'u.tier'])
    .where('m.shop_id', '=', shopId).where('m.direction', '=', 'in').where('m.kind', '=', 'text').where('m.created_at', '>=', since)
    .orderBy('m.id', 'desc').limit(limit).execute();
  const conversations = [...new Set(rows.map((r) => Number(r.conversation_id)))];
  const openers = new Set<number>();
  for (let i = 0; i < conversations.length; i += OPENERS_CHUNK) {
    const firsts = await db.selectFrom('messages').select((eb) => eb.fn.min<number>('id').as('first'))
      .where('conversation_id', 'in', conversations.slice(i, i + OPENERS_CHUNK)).where('direction', '=', 'in')
      .groupBy('conversation_id').execute();
    for (const f of firsts) openers.add(Number(f.first));
  }
  return rows.filter((r) => r.text !== null && r.text.trim() !== '').map((r) => ({
    id: Number(r.id), at: Number(r.created_at), channel: r.channel, text: r.text!, opened: openers.has(Number(r.id)),
    customer: { name: r.name, firstSeenAt: Number(r.first_seen_at), tags: JSON.parse(r.tags) as string[], tier: r.tier },
  }));
}
