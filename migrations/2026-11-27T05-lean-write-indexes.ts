import { sql } from 'kysely';
import type { Kysely } from 'kysely';

// Frozen. Every inbound message writes a message row, a reply row and an outbox row; each index
// on them is another page dirtied per write (bench/webhook.ts). These keep each index to the rows
// its queries read:
// - the dedup indexes only hold inbound rows (outbound rows have no platform ids);
// - the cap indexes only hold proactive rows (replies to the customer are never capped);
// - the per-conversation index only holds sent rows (the reply caps count sent replies), so
//   queueing a reply no longer touches it;
// - a customer's conversations are few, so their index no longer carries updated_at, which
//   every message changed.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('messages_platform_id_uq').execute();
  await db.schema.createIndex('messages_platform_id_uq').unique().on('messages')
    .columns(['shop_id', 'channel', 'platform_message_id']).where(sql.ref('platform_message_id'), 'is not', null).execute();
  await db.schema.dropIndex('messages_delivery_id_uq').execute();
  await db.schema.createIndex('messages_delivery_id_uq').unique().on('messages')
    .columns(['shop_id', 'channel', 'delivery_id']).where(sql.ref('delivery_id'), 'is not', null).execute();

  await db.schema.dropIndex('outbox_customer_idx').execute();
  await db.schema.createIndex('outbox_customer_idx').on('outbox')
    .columns(['shop_id', 'customer_key', 'created_at']).where(sql.ref('proactive'), '=', sql.lit(1)).execute();
  await db.schema.dropIndex('outbox_order_idx').execute();
  await db.schema.createIndex('outbox_order_idx').on('outbox')
    .columns(['shop_id', 'order_id']).where(sql.ref('proactive'), '=', sql.lit(1)).execute();

  await db.schema.dropIndex('outbox_conversation_idx').execute();
  await db.schema.createIndex('outbox_sent_conversation_idx').on('outbox')
    .columns(['shop_id', 'conversation_key', 'updated_at']).where(sql.ref('state'), '=', sql.lit('sent')).execute();

  await db.schema.dropIndex('conversations_customer_idx').execute();
  await db.schema.createIndex('conversations_customer_idx').on('conversations').columns(['shop_id', 'customer_id']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('conversations_customer_idx').execute();
  await db.schema.createIndex('conversations_customer_idx').on('conversations').columns(['shop_id', 'customer_id', 'updated_at']).execute();
  await db.schema.dropIndex('outbox_sent_conversation_idx').execute();
  await db.schema.createIndex('outbox_conversation_idx').on('outbox').columns(['shop_id', 'conversation_key', 'state']).execute();
  await db.schema.dropIndex('outbox_order_idx').execute();
  await db.schema.createIndex('outbox_order_idx').on('outbox').columns(['shop_id', 'order_id', 'proactive']).execute();
  await db.schema.dropIndex('outbox_customer_idx').execute();
  await db.schema.createIndex('outbox_customer_idx').on('outbox').columns(['shop_id', 'customer_key', 'proactive', 'created_at']).execute();
  await db.schema.dropIndex('messages_delivery_id_uq').execute();
  await db.schema.createIndex('messages_delivery_id_uq').unique().on('messages').columns(['shop_id', 'channel', 'delivery_id']).execute();
  await db.schema.dropIndex('messages_platform_id_uq').execute();
  await db.schema.createIndex('messages_platform_id_uq').unique().on('messages').columns(['shop_id', 'channel', 'platform_message_id']).execute();
}
