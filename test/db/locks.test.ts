import { afterEach, describe, expect, it } from 'vitest';
import { openDb } from '../../src/db/index.js';
import type { DbHandle } from '../../src/db/index.js';
import { withSharedTryLock } from '../../src/db/locks.js';
import { freshDatabaseUrl, pgOk } from '../helpers/db.js';

describe.runIf(pgOk)('shared locks on PostgreSQL', () => {
  const open: (DbHandle & { cleanup(): Promise<void> })[] = [];
  afterEach(async () => {
    for (const h of open.splice(0)) {
      await h.close();
      await h.cleanup();
    }
  });
  async function schemaHandle(url?: string) {
    const fresh = url ? { url, cleanup: async () => undefined } : await freshDatabaseUrl('postgres');
    const h = { ...openDb(fresh.url), cleanup: fresh.cleanup };
    open.push(h);
    return { h, url: fresh.url };
  }

  it('one instance of a deployment at a time; a deployment in another schema of the same database is not held up', async () => {
    const a = await schemaHandle();
    const sameSchema = await schemaHandle(a.url);
    const other = await schemaHandle();
    const ran: string[] = [];
    const held = await withSharedTryLock(a.h.db, 'postgres', 'xiaoer:alerts', async () => {
      expect(await withSharedTryLock(sameSchema.h.db, 'postgres', 'xiaoer:alerts', async () => { ran.push('same schema'); })).toBe(false);
      expect(await withSharedTryLock(other.h.db, 'postgres', 'xiaoer:alerts', async () => { ran.push('other schema'); })).toBe(true);
    });
    expect(held).toBe(true);
    expect(ran).toEqual(['other schema']);
    expect(await withSharedTryLock(sameSchema.h.db, 'postgres', 'xiaoer:alerts', async () => { ran.push('same schema, after'); })).toBe(true);
  });
});
