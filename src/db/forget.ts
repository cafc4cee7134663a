import type { Kysely, Transaction } from 'kysely';
import { findCustomer } from './customers.js';
import type { Database } from './schema.js';
import { recipientRateKey } from './send-rates.js';

export interface CustomerIdentity {
  shopId: string;
  channel: string;
  platformUserId: string;
}

/** What forgetting one customer removed (or, in a dry run, would remove). */
export interface Forgotten {
  customer: boolean;
  conversations: number;
  messages: number;
  replies: number;
  followUps: number;
  orders: number;
  orderEvents: number;
  alerts: number;
  /** What staff taught at the desk on the customer's messages (their words). */
  lessons: number;
}

/** Thrown inside the transaction to roll a dry run back after counting. */
class DryRun extends Error {
  constructor(readonly counts: Forgotten) {
    super('dry run');
  }
}

/**
 * Deletes everything xiaoer holds about one customer identity in a shop — the customer record
 * (tags, tier, opt-out), conversations, messages with their raw payloads, queued and sent
 * replies, follow-ups, orders with their events, and staff alerts quoting the chat — in one
 * transaction, for a customer's request to delete their personal information (个人信息保护法
 * §47). A dry run performs the same deletes and rolls them back, so its counts are exactly what
 * the real run removes. The platform's own copy of the chat is not ours to delete.
 */
export async function forgetCustomer(db: Kysely<Database>, who: CustomerIdentity, opts: { dryRun?: boolean } = {}): Promise<Forgotten> {
  try {
    return await db.transaction().execute(async (trx) => {
      const counts = await deleteAll(trx, who);
      if (opts.dryRun) throw new DryRun(counts);
      return counts;
    });
  } catch (err) {
    if (err instanceof DryRun) return err.counts;
    throw err;
  }
}

async function deleteAll(trx: Transaction<Database>, who: CustomerIdentity): Promise<Forgotten> {
  const customer = await findCustomer(trx, who.shopId, who.channel, who.platformUserId);
  const customerId = customer ? customer.id : -1; // -1: no conversations, but orders and follow-ups may exist
  const conversations = trx.selectFrom('conversations').select('id').where('customer_id', '=', customerId);
  const messages = trx.selectFrom('messages').select('id').where('conversation_id', 'in', conversations);
  const orders = trx.selectFrom('orders').select('order_id')
    .where('shop_id', '=', who.shopId).where('customer_channel', '=', who.channel).where('customer_user_id', '=', who.platformUserId);
  const n = (r: { numDeletedRows: bigint } | undefined) => Number(r?.numDeletedRows ?? 0n);

  // The per-recipient send counts name the customer too (kept minutes at most, but asked to go now).
  const keys = (await trx.selectFrom('conversations').select('key').where('customer_id', '=', customerId).execute())
    .map((c) => recipientRateKey(who.shopId, who.channel, c.key));
  if (keys.length) await trx.deleteFrom('send_rates').where('key', 'in', keys).execute();
  // Children before parents: outbox → messages → conversations → customer (foreign keys).
  const alerts = n(await trx.deleteFrom('alerts').where('shop_id', '=', who.shopId)
    .where('conversation_key', 'in', trx.selectFrom('conversations').select('key').where('customer_id', '=', customerId))
    .executeTakeFirst());
  const lessons = n(await trx.deleteFrom('lessons').where('message_id', 'in', messages).executeTakeFirst());
  const replies = n(await trx.deleteFrom('outbox').where('message_id', 'in', messages).executeTakeFirst());
  const messageCount = n(await trx.deleteFrom('messages').where('conversation_id', 'in', conversations).executeTakeFirst());
  const conversationCount = n(await trx.deleteFrom('conversations').where('customer_id', '=', customerId).executeTakeFirst());
  const customerCount = n(await trx.deleteFrom('customers').where('id', '=', customerId).executeTakeFirst());
  const followUps = n(await trx.deleteFrom('jobs')
    .where('shop_id', '=', who.shopId).where('customer_channel', '=', who.channel).where('customer_user_id', '=', who.platformUserId)
    .executeTakeFirst());
  const orderEvents = n(await trx.deleteFrom('order_events').where('shop_id', '=', who.shopId).where('order_id', 'in', orders).executeTakeFirst());
  const orderCount = n(await trx.deleteFrom('orders')
    .where('shop_id', '=', who.shopId).where('customer_channel', '=', who.channel).where('customer_user_id', '=', who.platformUserId)
    .executeTakeFirst());
  return {
    customer: customerCount > 0, conversations: conversationCount, messages: messageCount, replies, followUps,
    orders: orderCount, orderEvents, alerts, lessons,
  };
}
