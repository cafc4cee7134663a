import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.js';
import { migrateToLatest, openDb } from '../../src/db/index.js';
import type { DbHandle } from '../../src/db/index.js';
import { captureOutput } from '../helpers/cli.js';

/** xiaoer backup: a consistent copy of the SQLite file while the service (another connection) keeps writing. */
describe('xiaoer backup', () => {
  let io: ReturnType<typeof captureOutput>;
  let dir = '';
  let live: DbHandle;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'xiaoer-backup-'));
    vi.stubEnv('DATABASE_URL', `sqlite:${join(dir, 'live.db')}`);
    io = captureOutput();
    live = openDb(`sqlite:${join(dir, 'live.db')}`);
    await migrateToLatest(live.db);
  });
  afterEach(async () => {
    vi.unstubAllEnvs();
    vi.restoreAllMocks();
    await live.close();
  });

  const addCustomers = (from: number, count: number) => live.db.insertInto('customers').values(Array.from({ length: count }, (_, i) => ({
    shop_id: 'acme', channel: 'local', platform_user_id: `u${from + i}`, name: null, tags: '[]', tier: null, first_seen_at: 1, last_seen_at: 1, opted_out_at: null,
  }))).execute();

  it('copies what is committed, including rows still only in the WAL, and never overwrites', async () => {
    await addCustomers(0, 300); // committed, not yet checkpointed into the main file
    const target = join(dir, 'backups', 'nightly', 'backup.db'); // directories are made as needed
    expect(await main(['backup', target])).toBe(0);
    expect(io.out).toMatch(/backed up .*live\.db to .*backup\.db \(\d+\.\d MB\)/);
    await addCustomers(300, 5); // after the copy: not in it

    const copy = new BetterSqlite3(target, { readonly: true });
    try {
      expect(copy.pragma('integrity_check', { simple: true })).toBe('ok');
      expect(copy.prepare('select count(*) as n from customers').get()).toEqual({ n: 300 });
      expect(copy.prepare('select count(*) as n from kysely_migration').get()).not.toEqual({ n: 0 });
    } finally {
      copy.close();
    }
    expect(await main(['backup', target])).toBe(1);
    expect(io.err).toContain('already exists; choose a new file name');
  });

  it('explains what it cannot do', async () => {
    expect(await main(['backup'])).toBe(1);
    expect(io.err).toContain('name one file');
    vi.stubEnv('DATABASE_URL', 'postgres://xiaoer:s3cret@db.internal:5432/shop');
    expect(await main(['backup', 'x.dump'])).toBe(1);
    expect(io.err).toContain("pg_dump --format=custom --file=x.dump 'postgres://xiaoer@db.internal:5432/shop'");
    expect(io.err).not.toContain('s3cret');
    vi.stubEnv('DATABASE_URL', `sqlite:${join(dir, 'nothing-here.db')}`);
    expect(await main(['backup', join(dir, 'b.db')])).toBe(1);
    expect(io.err).toContain('there is no database file to back up');
    expect(existsSync(join(dir, 'nothing-here.db'))).toBe(false);
  });
});
