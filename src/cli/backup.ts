import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import BetterSqlite3 from 'better-sqlite3';
import { readEnvOptions } from '../config/env.js';
import { sqliteFileOf } from '../db/index.js';

const USAGE = 'usage: xiaoer backup FILE    (a copy of the SQLite database, taken while the service runs)\n';

/**
 * A consistent copy of the embedded database, safe to take while the service runs. Why VACUUM
 * INTO rather than the page-by-page backup API: it copies inside one read transaction, so the
 * service's writes (another connection) neither block it nor make it start over, and the copy
 * comes out compact. On PostgreSQL the database's own tools do this job.
 */
export async function runBackup(args: string[]): Promise<number> {
  const { positionals } = parseArgs({ args, allowPositionals: true, strict: true, options: {} });
  if (positionals.length !== 1) {
    process.stderr.write(`name one file to write the backup to\n${USAGE}`);
    return 1;
  }
  const target = resolve(positionals[0]!);
  const url = readEnvOptions().databaseUrl;
  if (!url.startsWith('sqlite:')) {
    const shown = new URL(url);
    shown.password = '';
    process.stderr.write(`DATABASE_URL is PostgreSQL: back it up with its own tools, e.g.\n  pg_dump --format=custom --file=${positionals[0]} '${shown.href}'\n`);
    return 1;
  }
  const source = sqliteFileOf(url);
  if (source === ':memory:' || !existsSync(source)) {
    process.stderr.write(`there is no database file to back up (DATABASE_URL=${url})\n`);
    return 1;
  }
  if (existsSync(target)) {
    process.stderr.write(`${target} already exists; choose a new file name (a backup never overwrites)\n`);
    return 1;
  }
  mkdirSync(dirname(target), { recursive: true });
  const db = new BetterSqlite3(source, { fileMustExist: true });
  try {
    db.pragma('busy_timeout = 5000');
    db.prepare('VACUUM INTO ?').run(target);
  } catch (err) {
    process.stderr.write(`backup failed: ${(err as Error).message}\n`);
    return 1;
  } finally {
    db.close();
  }
  const mb = (statSync(target).size / 1024 / 1024).toFixed(1);
  process.stdout.write(`backed up ${source} to ${target} (${mb} MB)\n`
    + 'To restore: stop the service, then point DATABASE_URL at the copy (or copy it over the database file and delete its -wal and -shm files).\n');
  return 0;
}
