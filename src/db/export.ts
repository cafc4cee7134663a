import type { Kysely } from 'kysely';
import { findCustomer } from './customers.js';
import { STAFF_RULE } from './desk.js';
import type { CustomerIdentity } from './forget.js';
import type { Database } from './schema.js';

/** Everything xiaoer holds about one customer, in the form a person can read (times as ISO strings). */
export interface CustomerExport {
  exportedAt: string;
  shop: string;
  channel: string;
  userId: string;
  customer: { name: string | null; tags: string[]; tier: string | null; firstSeen: string; lastSeen: string; optedOut: string | null } | null;
  conversations: {
    key: string;
    started: string;
    messages: { at: string; from: 'customer' | 'bot' | 'staff'; kind: string; text: string | null; platformPayload?: unknown }[];
  }[];
  orders: { orderId: string; state: string; details: unknown; created: string; updated: string; events: { type: string; occurred: string }[] }[];
  followUps: { rule: string; due: string; state: string; orderId: string | null }[];
}

const iso = (ms: number | string) => new Date(Number(ms)).toISOString();

/**
 * A copy of one customer's personal information (个人信息保护法 §45: the right to a copy), read in
 * one transaction so it is consistent: their record, every conversation with its messages (and
 * the payload the platform delivered for each of theirs), orders with their events, follow-ups.
 * What `forgetCustomer` deletes, less the staff alerts: internal notes quoting the same chat.
 */
export async function exportCustomer(db: Kysely<Database>, who: CustomerIdentity, now: Date): Promise<CustomerExport> {
  return db.transaction().execute(async (trx) => {
    const c = await findCustomer(trx, who.shopId, who.channel, who.platformUserId);
    const conversations = c ? await trx.selectFrom('conversations').select(['id', 'key', 'created_at'])
      .where('customer_id', '=', c.id).orderBy('id').execute() : [];
    const messages = conversations.length ? await trx.selectFrom('messages')
      .select(['conversation_id', 'direction', 'kind', 'text', 'rule', 'raw', 'created_at'])
      .where('conversation_id', 'in', conversations.map((x) => x.id)).orderBy('id').execute() : [];
    const orders = await trx.selectFrom('orders').selectAll()
      .where('shop_id', '=', who.shopId).where('customer_channel', '=', who.channel).where('customer_user_id', '=', who.platformUserId)
      .orderBy('created_at').execute();
    const events = orders.length ? await trx.selectFrom('order_events').select(['order_id', 'type', 'occurred_at'])
      .where('shop_id', '=', who.shopId).where('order_id', 'in', orders.map((o) => o.order_id)).where('outcome', '=', 'applied')
      .orderBy('occurred_at').execute() : [];
    const jobs = await trx.selectFrom('jobs').select(['rule', 'due_at', 'state', 'order_id'])
      .where('shop_id', '=', who.shopId).where('customer_channel', '=', who.channel).where('customer_user_id', '=', who.platformUserId)
      .orderBy('due_at').execute();

    return {
      exportedAt: now.toISOString(), shop: who.shopId, channel: who.channel, userId: who.platformUserId,
      customer: c ? {
        name: c.name, tags: c.tags, tier: c.tier, firstSeen: iso(c.firstSeenAt), lastSeen: iso(c.lastSeenAt),
        optedOut: c.optedOutAt === null ? null : iso(c.optedOutAt),
      } : null,
      conversations: conversations.map((conv) => ({
        key: conv.key, started: iso(conv.created_at),
        messages: messages.filter((m) => Number(m.conversation_id) === Number(conv.id)).map((m) => ({
          at: iso(m.created_at), from: m.direction === 'in' ? 'customer' as const : m.rule === STAFF_RULE ? 'staff' as const : 'bot' as const,
          kind: m.kind, text: m.text, ...(m.direction === 'in' && m.raw ? { platformPayload: JSON.parse(m.raw) as unknown } : {}),
        })),
      })),
      orders: orders.map((o) => ({
        orderId: o.order_id, state: o.state, details: JSON.parse(o.data) as unknown, created: iso(o.created_at), updated: iso(o.updated_at),
        events: events.filter((e) => e.order_id === o.order_id).map((e) => ({ type: e.type, occurred: iso(e.occurred_at) })),
      })),
      followUps: jobs.map((j) => ({ rule: j.rule, due: iso(j.due_at), state: j.state, orderId: j.order_id })),
    };
  });
}
