import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { migrateToLatest, openDb } from '../../src/db/index.js';
import type { DbHandle } from '../../src/db/index.js';

export const PG_URL = process.env.DATABASE_URL_TEST ?? 'postgres://postgres@127.0.0.1:5432/test';

let pgReachable: Promise<boolean> | undefined;

/** Postgres runs on this machine and in CI; if it does not answer, the Postgres half is skipped loudly. */
export function postgresAvailable(): Promise<boolean> {
  pgReachable ??= (async () => {
    const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 2000 });
    try {
      await client.connect();
      await client.query('select 1');
      return true;
    } catch {
      process.stderr.write(`\n[tests] Postgres at ${PG_URL} does not answer: Postgres cases are skipped\n`);
      return false;
    } finally {
      await client.end().catch(() => undefined);
    }
  })();
  return pgReachable;
}

export const pgOk = await postgresAvailable();

/** Test schemas are named t_<unix seconds>_<random>; ones older than this are leftovers of aborted runs. */
const STALE_SCHEMA_SECONDS = 3600;

if (pgOk) {
  // Runs that die (or are killed) leave their schemas behind; sweep old ones so the shared test
  // database does not fill up across sessions. Young ones may belong to a parallel run.
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  const cutoff = Math.floor(Date.now() / 1000) - STALE_SCHEMA_SECONDS;
  const { rows } = await c.query<{ nspname: string }>(`select nspname from pg_namespace where nspname ~ '^t_[0-9]+_[0-9a-f]+$'`);
  for (const { nspname } of rows) {
    if (Number(nspname.split('_')[1]) < cutoff) await c.query(`drop schema if exists ${nspname} cascade`).catch(() => undefined);
  }
  await c.end();
}

/** The dialects every repository test runs on. */
export const DIALECTS = pgOk ? (['sqlite', 'postgres'] as const) : (['sqlite'] as const);
export type TestDialect = (typeof DIALECTS)[number];

/** A fresh, migrated database URL: an SQLite file or memory, or a new Postgres schema dropped afterwards. */
export async function freshDatabaseUrl(dialect: TestDialect, sqliteFile?: string): Promise<{ url: string; cleanup(): Promise<void> }> {
  if (dialect === 'sqlite') return { url: `sqlite:${sqliteFile ?? ':memory:'}`, cleanup: async () => undefined };
  const schema = `t_${Math.floor(Date.now() / 1000)}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  await admin.query(`create schema ${schema}`);
  await admin.end();
  return {
    url: `${PG_URL}${PG_URL.includes('?') ? '&' : '?'}schema=${schema}`,
    async cleanup() {
      const c = new pg.Client({ connectionString: PG_URL });
      await c.connect();
      await c.query(`drop schema if exists ${schema} cascade`);
      await c.end();
    },
  };
}

export async function freshDb(dialect: TestDialect): Promise<DbHandle & { cleanup(): Promise<void> }> {
  const { url, cleanup } = await freshDatabaseUrl(dialect);
  const handle = openDb(url);
  await migrateToLatest(handle.db);
  return {
    ...handle,
    async cleanup() {
      await handle.close();
      await cleanup();
    },
  };
}
