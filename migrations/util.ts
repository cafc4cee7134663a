import { PostgresAdapter, sql } from 'kysely';
import type { ColumnDefinitionBuilder, Kysely, RawBuilder } from 'kysely';

/** Migrations run on both dialects; the few differences are named here, once. */
export function isPostgres(db: Kysely<unknown>): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter;
}

/** Auto-increment primary key: bigserial on Postgres, INTEGER PRIMARY KEY (rowid) on SQLite. */
export function idType(db: Kysely<unknown>): RawBuilder<unknown> {
  return isPostgres(db) ? sql`bigserial` : sql`integer`;
}

export function idColumn(db: Kysely<unknown>) {
  return (col: ColumnDefinitionBuilder) => (isPostgres(db) ? col.primaryKey() : col.primaryKey().autoIncrement());
}
