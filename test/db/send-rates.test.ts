import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { migrateToLatest, openDb } from '../../src/db/index.js';
import type { DbHandle } from '../../src/db/index.js';
import { SEND_RATE_KEEP_MS, sweepSendRates, takeSendRate, waitFor } from '../../src/db/send-rates.js';
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
    expect(await takeSendRate(h.db, [APP], at + 1)).toBe(0);
    expect(await takeSendRate(h.db, [APP], at + 2)).toBe(0);
    expect(await takeSendRate(h.db, [APP], at + 3)).toBe(997); // this window is full: until it ends
    expect(await takeSendRate(h.db, [APP], at + 4)).toBe(996);
    const rows = await h.db.selectFrom('send_rates').selectAll().execute();
    expect(rows.map((r) => Number(r.count))).toEqual([3]);
  });

  it('a burst at the end of one window is still counted at the start of the next (sliding, not fixed)', async () => {
    for (const t of [10_900, 10_901, 10_902]) expect(await takeSendRate(h.db, [APP], t)).toBe(0);
    // 100 ms into the next window, 90 % of the last one still overlaps: 3 × 0.9 + 1 > 3.
    expect(await takeSendRate(h.db, [APP], 11_100)).toBeGreaterThan(0);
    expect(await takeSendRate(h.db, [APP], 11_700)).toBe(0); // 3 × 0.3 + 1 ≤ 3
  });

  it('every limit must have room: a full recipient holds the send and the app is not charged for it', async () => {
    expect(await takeSendRate(h.db, [APP, ONE], 20_000)).toBe(0);
    expect(await takeSendRate(h.db, [APP, ONE], 20_001)).toBe(0);
    expect(await takeSendRate(h.db, [APP, ONE], 20_002)).toBeGreaterThan(0);
    // The app had one send left all along: another customer still gets it.
    expect(await takeSendRate(h.db, [APP, { ...ONE, key: 'acme:feishu:u2' }], 20_003)).toBe(0);
  });

  it('old windows are swept', async () => {
    await takeSendRate(h.db, [APP], 1_000);
    await takeSendRate(h.db, [APP], 1_000 + SEND_RATE_KEEP_MS + 5_000);
    await sweepSendRates(h.db, 1_000 + SEND_RATE_KEEP_MS + 5_000);
    expect((await h.db.selectFrom('send_rates').select('window_start').execute()).map((r) => Number(r.window_start))).toEqual([1_000 + SEND_RATE_KEEP_MS + 5_000]);
  });
});

describe.runIf(pgOk)('shared send rates across instances (postgres)', () => {
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

describe('waitFor', () => {
  const rate = { count: 10, windowMs: 1000 };
  it('is 0 with room, the rest of the window when this window alone is full, else until the previous share has shrunk enough', () => {
    expect(waitFor(rate, 10, 0, 300)).toBe(0);
    expect(waitFor(rate, 11, 0, 300)).toBe(700);
    // 10 × (1 − t/1000) + 5 ≤ 10 ⇔ t ≥ 500: 200 ms more at 300 ms in.
    expect(waitFor(rate, 5, 10, 300)).toBe(200);
  });
});
