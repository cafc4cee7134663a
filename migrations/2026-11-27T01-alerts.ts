import type { Kysely } from 'kysely';
import { idColumn, idType } from './util.js';

// Frozen. Staff alerts (handoffs, dead letters, bad reviews): recorded in the same transaction
// as the message that raised them, delivered to staff robots by the alert worker.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('alerts')
    .addColumn('id', idType(db), idColumn(db))
    .addColumn('shop_id', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('rule', 'text')
    .addColumn('conversation_key', 'text')
    .addColumn('customer_id', 'text')
    .addColumn('text', 'text', (c) => c.notNull())
    .addColumn('transcript', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_error', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('sent_at', 'bigint')
    .execute();
  await db.schema.createIndex('alerts_state_idx').on('alerts').columns(['state', 'id']).execute();
  await db.schema.createIndex('conversations_handoff_idx').on('conversations').columns(['shop_id', 'handoff_until']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('conversations_handoff_idx').execute();
  await db.schema.dropTable('alerts').execute();
}
