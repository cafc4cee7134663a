import { sql } from 'kysely';
import type { Db, Dialect } from './index.js';

/**
 * Runs `fn` while holding a lock named `key` across every instance sharing the database: a
 * Postgres advisory lock on one reserved connection. SQLite serves one instance, whose callers
 * already serialize in process, so there it just runs.
 */
export async function withSharedLock<T>(db: Db, dialect: Dialect, key: string, fn: () => Promise<T>): Promise<T> {
  if (dialect !== 'postgres') return fn();
  return db.connection().execute(async (conn) => {
    await sql`select pg_advisory_lock(hashtext(${key}::text))`.execute(conn);
    try {
      return await fn();
    } finally {
      await sql`select pg_advisory_unlock(hashtext(${key}::text))`.execute(conn);
    }
  });
}
