import type { MigrationResultSet } from 'kysely';
import { describe, expect, it } from 'vitest';
import { migrateToLatest, openDb } from '../../src/db/index.js';

const vanished = Object.assign(new Error('schema "t_gone" does not exist'), { code: '3F000' });
const done: MigrationResultSet = { results: [] };

/** kysely lists every schema's tables before migrating; a schema dropped by someone else meanwhile fails that list. */
describe('migrateToLatest when another schema vanishes mid-listing', () => {
  const db = openDb('sqlite::memory:').db;

  it('tries again and succeeds', async () => {
    const answers: MigrationResultSet[] = [{ error: vanished }, done];
    let calls = 0;
    await expect(migrateToLatest(db, async () => answers[calls++]!)).resolves.toBe(done);
    expect(calls).toBe(2);
  });

  it('tries again when a table or a column went meanwhile (the listing asks each column for its sequence)', async () => {
    const table = Object.assign(new Error('relation "t_gone.platform_cursors" does not exist'), { code: '42P01' });
    const column = Object.assign(new Error('column "id" of relation "customers" does not exist'), { code: '42703' });
    const answers: MigrationResultSet[] = [{ error: table }, { error: column }, done];
    let calls = 0;
    await expect(migrateToLatest(db, async () => answers[calls++]!)).resolves.toBe(done);
    expect(calls).toBe(3);
  });

  it('tries again when a schema went between Postgres finding it and reading its catalog entry', async () => {
    const cache = Object.assign(new Error('cache lookup failed for namespace 548331'), { code: 'XX000' });
    const answers: MigrationResultSet[] = [{ error: cache }, done];
    let calls = 0;
    await expect(migrateToLatest(db, async () => answers[calls++]!)).resolves.toBe(done);
    expect(calls).toBe(2);
    calls = 0; // another internal error is not that
    await expect(migrateToLatest(db, async () => (calls++, { error: Object.assign(new Error('could not read block 7'), { code: 'XX000' }) }))).rejects.toThrow(/could not read block/);
    expect(calls).toBe(1);
  });

  it('gives up after three tries, and never retries other errors', async () => {
    let calls = 0;
    await expect(migrateToLatest(db, async () => (calls++, { error: vanished }))).rejects.toThrow(/migration failed: .*t_gone/);
    expect(calls).toBe(3);
    calls = 0;
    await expect(migrateToLatest(db, async () => (calls++, { error: new Error('syntax error') }))).rejects.toThrow(/syntax error/);
    expect(calls).toBe(1);
  });
});
