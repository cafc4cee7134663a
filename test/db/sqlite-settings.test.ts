import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { openDb, SQLITE_WAL_CHECKPOINT_PAGES, SQLITE_WAL_SIZE_LIMIT_BYTES } from '../../src/db/index.js';

// The ack promises durability against a crash: these settings are what the promise rests on,
// and bench:ingest measured the checkpoint interval. A handle opened without them would
// still pass every other test.
describe('an SQLite file opened by the service', () => {
  it('is in WAL mode, commits with NORMAL sync, checks foreign keys and checkpoints on its own schedule', async () => {
    const h = openDb(`sqlite:${join(mkdtempSync(join(tmpdir(), 'xiaoer-settings-')), 'x.db')}`);
    try {
      const pragma = async (name: string) => Object.values((await sql.raw<Record<string, unknown>>(`pragma ${name}`).execute(h.db)).rows[0]!)[0];
      expect(await pragma('journal_mode')).toBe('wal');
      expect(await pragma('synchronous')).toBe(1); // NORMAL
      expect(await pragma('foreign_keys')).toBe(1);
      expect(await pragma('busy_timeout')).toBe(5000);
      expect(await pragma('wal_autocheckpoint')).toBe(SQLITE_WAL_CHECKPOINT_PAGES);
      expect(await pragma('journal_size_limit')).toBe(SQLITE_WAL_SIZE_LIMIT_BYTES);
    } finally {
      await h.close();
    }
  });
});
