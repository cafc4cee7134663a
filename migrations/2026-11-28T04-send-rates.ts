import type { Kysely } from 'kysely';

// Frozen. Platform send limits (per app, per recipient, per staff robot) counted in the database,
// so several instances on one PostgreSQL share them instead of each sending up to the whole
// limit (domain.md §11: accounts are banned for exceeding platform limits). One row per key and
// millisecond with the sends made then; rows older than any window are swept.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('send_rates')
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('sent_at', 'bigint', (c) => c.notNull())
    .addColumn('count', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('send_rates_pk', ['key', 'sent_at'])
    .execute();
  await db.schema.createIndex('send_rates_sent_at_idx').on('send_rates').columns(['sent_at']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('send_rates').execute();
}
