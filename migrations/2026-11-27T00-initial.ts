import type { Kysely } from 'kysely';
import { idColumn, idType } from './util.js';

// Frozen: once released, a migration never changes; new columns come in a new file.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('customers')
    .addColumn('id', idType(db), idColumn(db))
    .addColumn('shop_id', 'text', (c) => c.notNull())
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('platform_user_id', 'text', (c) => c.notNull())
    .addColumn('name', 'text')
    .addColumn('tags', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('tier', 'text')
    .addColumn('first_seen_at', 'bigint', (c) => c.notNull())
    .addColumn('last_seen_at', 'bigint', (c) => c.notNull())
    .addColumn('opted_out_at', 'bigint')
    .addUniqueConstraint('customers_identity_uq', ['shop_id', 'channel', 'platform_user_id'])
    .execute();

  await db.schema
    .createTable('conversations')
    .addColumn('id', idType(db), idColumn(db))
    .addColumn('shop_id', 'text', (c) => c.notNull())
    .addColumn('customer_id', 'bigint', (c) => c.notNull().references('customers.id'))
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull().defaultTo('{}'))
    .addColumn('handed_off_at', 'bigint')
    .addColumn('handoff_until', 'bigint')
    .addColumn('last_rule_fired', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addUniqueConstraint('conversations_key_uq', ['shop_id', 'key'])
    .execute();

  await db.schema
    .createTable('messages')
    .addColumn('id', idType(db), idColumn(db))
    .addColumn('shop_id', 'text', (c) => c.notNull())
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('conversation_id', 'bigint', (c) => c.notNull().references('conversations.id'))
    .addColumn('direction', 'text', (c) => c.notNull())
    .addColumn('platform_message_id', 'text')
    .addColumn('delivery_id', 'text')
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('text', 'text')
    .addColumn('rule', 'text')
    .addColumn('response', 'text')
    .addColumn('raw', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  // Redelivered webhooks hit these: exactly one reply per platform message or event id.
  // NULLs (outbound rows) are distinct in unique indexes on both SQLite and Postgres.
  await db.schema.createIndex('messages_platform_id_uq').unique().on('messages')
    .columns(['shop_id', 'channel', 'platform_message_id']).execute();
  await db.schema.createIndex('messages_delivery_id_uq').unique().on('messages')
    .columns(['shop_id', 'channel', 'delivery_id']).execute();
  await db.schema.createIndex('messages_conversation_idx').on('messages').columns(['conversation_id', 'id']).execute();

  await db.schema
    .createTable('outbox')
    .addColumn('id', idType(db), idColumn(db))
    .addColumn('message_id', 'bigint', (c) => c.notNull().references('messages.id'))
    .addColumn('shop_id', 'text', (c) => c.notNull())
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('idempotency_key', 'text', (c) => c.notNull().unique())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_attempt_at', 'bigint', (c) => c.notNull())
    .addColumn('locked_until', 'bigint')
    .addColumn('last_error', 'text')
    .addColumn('platform_id', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  // The worker's claim reads only due rows of one state: cost follows due rows, not table size.
  await db.schema.createIndex('outbox_due_idx').on('outbox').columns(['state', 'next_attempt_at']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('outbox').execute();
  await db.schema.dropTable('messages').execute();
  await db.schema.dropTable('conversations').execute();
  await db.schema.dropTable('customers').execute();
}
