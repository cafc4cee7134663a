import type { Kysely } from 'kysely';

// Frozen. Platform send limits (per app, per recipient) counted in the database, so several
// instances on one PostgreSQL share them instead of each sending up to the whole limit
// (domain.md §11: accounts are banned for exceeding platform limits). One row per key and
// fixed window; rows older than two windows are deleted as sends go on.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('send_rates')
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('window_start', 'bigint', (c) => c.notNull())
    .addColumn('count', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('send_rates_pk', ['key', 'window_start'])
    .execute();
  await db.schema.createIndex('send_rates_window_idx').on('send_rates').columns(['window_start']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('send_rates').execute();
}
