import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { migrateToLatest, openDb } from '../../src/db/index.js';
import type { DbHandle } from '../../src/db/index.js';
import { SEND_RATE_KEEP_MS, createSendLimiter, sweepSendRates, takeSendRate } from '../../src/db/send-rates.js';
import { DIALECTS, freshDatabaseUrl, pgOk } from '../helpers/db.js';

const APP = { key: 'acme:feishu', rate: { count: 3, windowMs: 1000 } };
const ONE = { key: 'acme:feishu:u1', rate: { count: 2, windowMs: 1000 } };

describe.each(DIALECTS)('shared send rates on %s', (dialect) => {
  let h: DbHandle;
  let cleanup: () => Promise<void>;
  beforeEach(async () => {
    const fresh = await freshDatabaseUrl(dialect);
    cleanup = fresh.cleanup;
    h = openDb(fresh.url);
    await migrateToLatest(h.db);
  });
  afterEach(async () => {
    await h.close();
    await cleanup();
  });

  it('lets the limit through in a window, then says how long to wait, and counts nothing it refused', async () => {
    const at = 10_000;
    expect(await takeSendRate(h.db, [APP], at)).toBe(0);
    expect(await takeSendRate(h.db, [APP], at)).toBe(0); // two in one millisecond
    expect(await takeSendRate(h.db, [APP], at + 2)).toBe(0);
    expect(await takeSendRate(h.db, [APP], at + 3)).toBe(997); // until the first leaves the window
    expect(await takeSendRate(h.db, [APP], at + 4)).toBe(996);
    const rows = await h.db.selectFrom('send_rates').selectAll().orderBy('sent_at').execute();
    expect(rows.map((r) => [Number(r.sent_at), Number(r.count)])).toEqual([[10_000, 2], [10_002, 1]]);
  });

  it('the window slides: a burst at the end of one second still counts early in the next', async () => {
    for (const t of [10_900, 10_901, 10_902]) expect(await takeSendRate(h.db, [APP], t)).toBe(0);
    expect(await takeSendRate(h.db, [APP], 11_100)).toBe(800);
    expect(await takeSendRate(h.db, [APP], 11_899)).toBe(1);
    expect(await takeSendRate(h.db, [APP], 11_900)).toBe(0); // 10_900 has left the window
  });

  it('every limit must have room: a full recipient holds the send and the app is not charged for it', async () => {
    expect(await takeSendRate(h.db, [APP, ONE], 20_000)).toBe(0);
    expect(await takeSendRate(h.db, [APP, ONE], 20_001)).toBe(0);
    expect(await takeSendRate(h.db, [APP, ONE], 20_002)).toBeGreaterThan(0);
    // The app had one send left all along: another customer still gets it.
    expect(await takeSendRate(h.db, [APP, { ...ONE, key: 'acme:feishu:u2' }], 20_003)).toBe(0);
  });

  it('old sends are swept', async () => {
    await takeSendRate(h.db, [APP], 1_000);
    await takeSendRate(h.db, [APP], 1_000 + SEND_RATE_KEEP_MS + 5_000);
    await sweepSendRates(h.db, 1_000 + SEND_RATE_KEEP_MS + 5_000);
    expect((await h.db.selectFrom('send_rates').select('sent_at').execute()).map((r) => Number(r.sent_at))).toEqual([1_000 + SEND_RATE_KEEP_MS + 5_000]);
  });
});

describe.runIf(pgOk)('shared send rates across instances (postgres)', () => {
  it('the service\'s limiter drops old sends as time passes, however few messages a shop sends', async () => {
    const fresh = await freshDatabaseUrl('postgres');
    const a = openDb(fresh.url);
    await migrateToLatest(a.db);
    try {
      let clock = 1_000_000;
      const limit = createSendLimiter(a.db, 'postgres', () => clock);
      expect(await limit([APP])).toBe(0);
      clock += SEND_RATE_KEEP_MS + 1;
      expect(await limit([APP])).toBe(0);
      expect((await a.db.selectFrom('send_rates').select('sent_at').execute()).map((r) => Number(r.sent_at))).toEqual([clock]);
    } finally {
      await a.close();
      await fresh.cleanup();
    }
  });

  it('two instances sending at once for one app never pass its limit together', async () => {
    const fresh = await freshDatabaseUrl('postgres');
    const a = openDb(fresh.url);
    await migrateToLatest(a.db);
    const b = openDb(fresh.url);
    try {
      const rate = { key: 'acme:feishu', rate: { count: 10, windowMs: 60_000 } };
      const at = 120_000;
      const results = await Promise.all(Array.from({ length: 30 }, (_, i) => takeSendRate((i % 2 ? a : b).db, [rate], at)));
      expect(results.filter((w) => w === 0)).toHaveLength(10);
    } finally {
      await a.close();
      await b.close();
      await fresh.cleanup();
    }
  });
});
