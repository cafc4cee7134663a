import { sql } from 'kysely';
import type { Kysely } from 'kysely';
import { idColumn, idType } from './util.js';

// Frozen. What staff taught the bot at the desk: a customer's message (as staff left it, order
// numbers taken out) and the question it meant. The playbooks are files, so a lesson waits here
// until the shop runs `xiaoer teach --from-desk` where the files live; settling it records what
// became of it (added, already there, refused with the reason). One waiting lesson per message.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('lessons')
    .addColumn('id', idType(db), idColumn(db))
    .addColumn('shop_id', 'text', (c) => c.notNull())
    .addColumn('message_id', 'bigint', (c) => c.notNull())
    .addColumn('text', 'text', (c) => c.notNull())
    .addColumn('intent', 'text', (c) => c.notNull())
    .addColumn('teach_as', 'text', (c) => c.notNull())
    .addColumn('staff', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('settled_at', 'bigint')
    .addColumn('outcome', 'text')
    .addColumn('detail', 'text')
    .execute();
  await db.schema.createIndex('lessons_waiting_message_idx').on('lessons').column('message_id').unique()
    .where(sql.ref('settled_at'), 'is', null).execute();
  // Looked up by message: the desk's transcript, and deletes with the messages (forget, retention).
  await db.schema.createIndex('lessons_message_idx').on('lessons').column('message_id').execute();
  await db.schema.createIndex('lessons_shop_idx').on('lessons').columns(['shop_id', 'settled_at', 'id']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('lessons').execute();
}
