import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, SqliteDialect, sql } from 'kysely';
import type { MigrationResultSet, PostgresPool, PostgresPoolClient } from 'kysely';
import pg from 'pg';
import { migrations } from '../../migrations/index.js';
import { XiaoerError } from '../errors.js';
import type { Database } from './schema.js';
import { statementNames } from './prepared.js';
import { withStatementCache } from './sqlite-statements.js';

export type Dialect = 'sqlite' | 'postgres';
export type Db = Kysely<Database>;

export interface DbHandle {
  readonly db: Db;
  readonly dialect: Dialect;
  /** Postgres schema from `?schema=`; migrations keep their bookkeeping tables there too. */
  readonly schema?: string;
  close(): Promise<void>;
}

/** Connections per instance; the database's max_connections must cover every instance's pool. */
export const PG_POOL_SIZE = 10;
/** Write lanes (see createWriteBatcher) on Postgres: the pool, less two for the workers' claims and /healthz. */
export const PG_WRITE_LANES = PG_POOL_SIZE - 2;

/**
 * WAL pages between automatic checkpoints (SQLite's default is 1,000, ~4 MB). Each checkpoint
 * copies the WAL into the database file and fsyncs both; at the default a busy shop checkpoints
 * every few commits, and a page a message dirties (random platform ids in the dedup indexes) is
 * copied once per checkpoint however often it changed. bench:ingest, 200k messages: commit
 * 49 µs per message at 1,000, 40 at 4,000, 35 at 10,000; but a checkpoint blocks the commit
 * that triggers it, and npm run bench's p99 went 19 → 32 → 48 ms. 4,000 (a WAL of ~16 MB) is
 * the middle: webhooks 6,500 → 7,400/s.
 */
export const SQLITE_WAL_CHECKPOINT_PAGES = 4_000;
/**
 * The WAL file keeps its largest size after a checkpoint (rewriting it from the start is
 * cheaper than growing it again). A WAL that grew past this while a long read held the
 * checkpoint back is cut back to it, so one slow export does not leave a huge file behind.
 */
export const SQLITE_WAL_SIZE_LIMIT_BYTES = 64 * 1024 * 1024;

/** The connection settings every SQLite handle gets (bench/ingest.ts uses them too). */
export function tuneSqlite(sqlite: BetterSqlite3.Database): void {
  // WAL lets readers (healthz, metrics, CLI) run beside the writer; NORMAL sync keeps
  // commits durable against process crashes, which is what the webhook ack promises.
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma(`wal_autocheckpoint = ${SQLITE_WAL_CHECKPOINT_PAGES}`);
  sqlite.pragma(`journal_size_limit = ${SQLITE_WAL_SIZE_LIMIT_BYTES}`);
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma('foreign_keys = ON');
}

/** Postgres int8 (bigint/bigserial) arrives as a string by default; our values are epoch ms and ids, safe as numbers. */
const PG_INT8_OID = 20;

/** The absolute file an `sqlite:` DATABASE_URL names (relative to `cwd`), or ':memory:'. */
export function sqliteFileOf(url: string, cwd = process.cwd()): string {
  const file = url.slice('sqlite:'.length);
  return file === ':memory:' || file === '' ? ':memory:' : resolve(cwd, file);
}

/**
 * `sqlite:<file>` (`sqlite::memory:` for tests) or `postgres://…`. Postgres connections may set
 * a schema with `?schema=name` so parallel test files do not share tables, and turn named
 * statements off with `?named_statements=off`.
 */
export function openDb(url: string, cwd = process.cwd()): DbHandle {
  if (url.startsWith('sqlite:')) {
    const file = sqliteFileOf(url, cwd);
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
    const sqlite = new BetterSqlite3(file);
    tuneSqlite(sqlite);
    const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(sqlite) }) });
    return { db, dialect: 'sqlite', close: () => db.destroy() };
  }
  if (/^postgres(ql)?:\/\//.test(url)) {
    const u = new URL(url);
    const schema = u.searchParams.get('schema');
    u.searchParams.delete('schema');
    // Behind PgBouncer in transaction mode a named statement may land on another server connection.
    const named = u.searchParams.get('named_statements') !== 'off';
    u.searchParams.delete('named_statements');
    const types = {
      getTypeParser: ((oid: number, format?: string) =>
        oid === PG_INT8_OID ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
    };
    const pool = new pg.Pool({
      connectionString: u.toString(),
      max: PG_POOL_SIZE,
      types,
      ...(schema ? { options: `-c search_path=${schema}` } : {}),
    });
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: named ? namingPool(pool) : pool }) });
    schemas.set(db, schema ?? undefined);
    return { db, dialect: 'postgres', ...(schema ? { schema } : {}), close: () => db.destroy() };
  }
  throw new XiaoerError('CONFIG_INVALID', `DATABASE_URL must start with sqlite: or postgres:// (got "${url.split(':')[0]}:…")`);
}

/**
 * The pool kysely sees: the hot queries (see prepared.ts) go out as named statements, which
 * Postgres parses and plans once per connection; pg keeps the names per client.
 */
function namingPool(pool: pg.Pool): PostgresPool {
  const wrapped = new WeakMap<pg.PoolClient, PostgresPoolClient>();
  return {
    async connect() {
      const client = await pool.connect();
      let w = wrapped.get(client);
      if (!w) {
        const c = client;
        w = {
          // Kysely passes (sql, values), or a cursor object when streaming (which we never do).
          query: ((sqlOrCursor: string, values: readonly unknown[]) => {
            const name = statementNames.get(sqlOrCursor);
            if (name === undefined) return c.query(sqlOrCursor, values as unknown[]);
            return c.query({ name, text: sqlOrCursor, values: values as unknown[] });
          }) as unknown as PostgresPoolClient['query'],
          release: () => c.release(),
        };
        wrapped.set(client, w);
      }
      return w;
    },
    end: () => pool.end(),
  };
}

/** Which schema each Postgres handle was opened on (for the migrator's own tables). */
const schemas = new WeakMap<Db, string | undefined>();

/**
 * Kysely looks for its migration tables across every schema it can see; pinned to our schema,
 * instances and test runs sharing one database in different schemas never mistake each other's.
 */
function migrator(db: Db): Migrator {
  const schema = schemas.get(db);
  return new Migrator({ db, provider: { getMigrations: async () => migrations }, ...(schema ? { migrationTableSchema: schema } : {}) });
}

/** Tries of a migration that failed on a schema vanishing mid-query (below). */
const MIGRATION_TRIES = 3;
/**
 * What listing the tables fails with when another program drops or changes them meanwhile:
 * invalid_schema_name, undefined_table, undefined_column (kysely's listing asks for each
 * column's sequence, pg_get_serial_sequence, which fails on a table or column gone since).
 */
const PG_VANISHED = new Set(['3F000', '42P01', '42703']);
/** An object dropped between Postgres finding it and reading its catalog entry: internal_error "cache lookup failed for namespace …". */
const PG_CACHE_LOOKUP = /cache lookup failed for (?:namespace|relation|type|attribute)/;

function vanished(err: unknown): boolean {
  const code = (err as { code?: string }).code;
  return code !== undefined && (PG_VANISHED.has(code) || (code === 'XX000' && PG_CACHE_LOOKUP.test(String((err as Error).message))));
}

/**
 * Before migrating (up or down), kysely lists the tables of every schema it can see. A schema,
 * table or column another program drops at that moment (test runs, other apps sharing the
 * database) fails that list; it names something that is gone, so trying again settles it. A
 * migration of ours failing the same way fails every try, and is reported after the last: each
 * try runs in its own transaction, nothing is left half done.
 */
async function withRetry(run: () => Promise<MigrationResultSet>): Promise<MigrationResultSet> {
  for (let tries = 1; ; tries++) {
    const result = await run();
    if (!result.error) return result;
    if (!vanished(result.error) || tries >= MIGRATION_TRIES) {
      throw new XiaoerError('DB', `migration failed: ${String(result.error)}`, { cause: result.error });
    }
  }
}

export async function migrateToLatest(db: Db, run = () => migrator(db).migrateToLatest()): Promise<MigrationResultSet> {
  return withRetry(run);
}

export async function migrateDown(db: Db): Promise<MigrationResultSet> {
  return withRetry(() => migrator(db).migrateDown());
}

/** Cheap liveness probe for /healthz. */
export async function ping(db: Db): Promise<boolean> {
  try {
    await sql`select 1`.execute(db);
    return true;
  } catch {
    return false;
  }
}
