import { sql } from 'kysely';
import type { Db, Dialect } from './index.js';

/**
 * Runs `fn` while holding a lock named `key` across every instance sharing the database: a
 * Postgres advisory lock on one reserved connection. SQLite serves one instance, whose callers
 * already serialize in process, so there it just runs. Advisory locks belong to the whole
 * database, so the key carries the schema: deployments (and test runs) in other schemas of the
 * same database never hold up each other's work.
 */
export async function withSharedLock<T>(db: Db, dialect: Dialect, key: string, fn: () => Promise<T>): Promise<T> {
  if (dialect !== 'postgres') return fn();
  return db.connection().execute(async (conn) => {
    await sql`select pg_advisory_lock(hashtext(current_schema() || ':' || ${key}::text))`.execute(conn);
    try {
      return await fn();
    } finally {
      await sql`select pg_advisory_unlock(hashtext(current_schema() || ':' || ${key}::text))`.execute(conn);
    }
  });
}

/**
 * Like withSharedLock, but when another instance holds the lock it returns false at once
 * instead of waiting: for periodic work that one instance at a time should do (the next tick
 * tries again). On SQLite it always runs.
 */
export async function withSharedTryLock(db: Db, dialect: Dialect, key: string, fn: () => Promise<void>): Promise<boolean> {
  if (dialect !== 'postgres') {
    await fn();
    return true;
  }
  return db.connection().execute(async (conn) => {
    const { rows } = await sql<{ locked: boolean }>`select pg_try_advisory_lock(hashtext(current_schema() || ':' || ${key}::text)) as locked`.execute(conn);
    if (!rows[0]?.locked) return false;
    try {
      await fn();
      return true;
    } finally {
      await sql`select pg_advisory_unlock(hashtext(current_schema() || ':' || ${key}::text))`.execute(conn);
    }
  });
}
