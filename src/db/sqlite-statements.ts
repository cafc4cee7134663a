import type BetterSqlite3 from 'better-sqlite3';
import type { SqliteDatabase, SqliteStatement } from 'kysely';

/** Distinct SQL texts kept prepared; our queries are a few dozen shapes, so this is never reached in practice. */
export const STATEMENT_CACHE_SIZE = 500;

/**
 * kysely's SQLite driver prepares every query anew, and preparing costs more than running
 * for our small statements (15 % of webhook CPU in a profile). better-sqlite3 statements are
 * reusable, so the same SQL text gets the same prepared statement.
 */
export function withStatementCache(db: BetterSqlite3.Database): SqliteDatabase {
  const cache = new Map<string, SqliteStatement>();
  return {
    close: () => db.close(),
    prepare(sql: string): SqliteStatement {
      let stmt = cache.get(sql);
      if (!stmt) {
        if (cache.size >= STATEMENT_CACHE_SIZE) cache.clear();
        stmt = db.prepare(sql) as unknown as SqliteStatement;
        cache.set(sql, stmt);
      }
      return stmt;
    },
  };
}
