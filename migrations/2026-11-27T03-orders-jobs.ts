import type { Kysely } from 'kysely';
import { idColumn, idType } from './util.js';

// Frozen. Orders and their events (idempotent, state only forward), durable follow-up jobs, and
// what the outbox needs to count proactive messages per customer and per order.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('orders')
    .addColumn('shop_id', 'text', (c) => c.notNull())
    .addColumn('order_id', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('customer_channel', 'text', (c) => c.notNull())
    .addColumn('customer_user_id', 'text', (c) => c.notNull())
    .addColumn('data', 'text', (c) => c.notNull())
    .addColumn('signed_at', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('orders_pk', ['shop_id', 'order_id'])
    .execute();

  await db.schema
    .createTable('order_events')
    .addColumn('shop_id', 'text', (c) => c.notNull())
    .addColumn('event_id', 'text', (c) => c.notNull())
    .addColumn('order_id', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('outcome', 'text', (c) => c.notNull())
    .addColumn('reason', 'text')
    .addColumn('occurred_at', 'bigint', (c) => c.notNull())
    .addColumn('received_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('order_events_pk', ['shop_id', 'event_id'])
    .execute();

  await db.schema
    .createTable('jobs')
    .addColumn('id', idType(db), idColumn(db))
    .addColumn('shop_id', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('rule', 'text', (c) => c.notNull())
    .addColumn('category', 'text', (c) => c.notNull())
    .addColumn('customer_channel', 'text', (c) => c.notNull())
    .addColumn('customer_user_id', 'text', (c) => c.notNull())
    .addColumn('order_id', 'text')
    .addColumn('payload', 'text', (c) => c.notNull().defaultTo('{}'))
    .addColumn('due_at', 'bigint', (c) => c.notNull())
    .addColumn('not_after', 'bigint')
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('locked_until', 'bigint')
    .addColumn('reason', 'text')
    .addColumn('dedup_key', 'text', (c) => c.notNull().unique())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  // Claims read due rows of one state only: the cost follows the due rows, not the table size.
  await db.schema.createIndex('jobs_due_idx').on('jobs').columns(['state', 'due_at']).execute();
  await db.schema.createIndex('jobs_order_idx').on('jobs').columns(['shop_id', 'order_id', 'state']).execute();

  await db.schema.alterTable('outbox').addColumn('proactive', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  await db.schema.alterTable('outbox').addColumn('customer_key', 'text').execute();
  await db.schema.alterTable('outbox').addColumn('order_id', 'text').execute();
  await db.schema.createIndex('outbox_customer_idx').on('outbox').columns(['shop_id', 'customer_key', 'proactive', 'created_at']).execute();
  await db.schema.createIndex('outbox_order_idx').on('outbox').columns(['shop_id', 'order_id', 'proactive']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('outbox_order_idx').execute();
  await db.schema.dropIndex('outbox_customer_idx').execute();
  await db.schema.alterTable('outbox').dropColumn('order_id').execute();
  await db.schema.alterTable('outbox').dropColumn('customer_key').execute();
  await db.schema.alterTable('outbox').dropColumn('proactive').execute();
  await db.schema.dropTable('jobs').execute();
  await db.schema.dropTable('order_events').execute();
  await db.schema.dropTable('orders').execute();
}
