import type { Context } from 'koa';
import { describe, expect, it } from 'vitest';
import type { ShopConfig } from '../../src/config/schema.js';
import { migrateToLatest, openDb } from '../../src/db/index.js';
import { RequestError } from '../../src/errors.js';
import { createDeskAuth, databaseFailures, DESK_FAILURE_WINDOW_MS, DESK_MAX_FAILURES } from '../../src/http/desk-auth.js';
import { freshDatabaseUrl, pgOk } from '../helpers/db.js';

const PASSWORD = 'desk-password-0123';
const shop = { id: 'acme', desk: { password: PASSWORD } } as unknown as ShopConfig;
const request = (ip: string, password: string, name = '小王') => ({
  ip, get: (h: string) => (h === 'authorization' ? `Basic ${Buffer.from(`${name}:${password}`).toString('base64')}` : ''),
}) as unknown as Context;
const statusOf = async (f: () => Promise<unknown>) => {
  try {
    await f();
    return 200;
  } catch (err) {
    return (err as RequestError).status;
  }
};

describe('desk sign-in failures', () => {
  it('locks an address after its tries, and forgets addresses whose failures are out of the window', async () => {
    let t = Date.parse('2026-11-28T10:00:00Z');
    const staffOf = createDeskAuth(() => t);
    for (let i = 0; i < DESK_MAX_FAILURES; i++) expect(await statusOf(() => staffOf(request('10.0.0.1', 'wrong'), shop))).toBe(401);
    expect(await statusOf(() => staffOf(request('10.0.0.1', PASSWORD), shop))).toBe(429); // locked, even with the right password
    expect(await staffOf(request('10.0.0.2', PASSWORD), shop)).toBe('小王'); // another address is not

    for (let i = 0; i < 50; i++) await statusOf(() => staffOf(request(`192.0.2.${i}`, 'wrong'), shop)); // a guesser varying its address
    expect(staffOf.tracked()).toBe(52); // 51 addresses and the shop

    t += DESK_FAILURE_WINDOW_MS + 1;
    expect(await statusOf(() => staffOf(request('198.51.100.7', 'wrong'), shop))).toBe(401);
    expect(staffOf.tracked()).toBe(2); // the old ones went; this address and the shop remain
    expect(await staffOf(request('10.0.0.1', PASSWORD), shop)).toBe('小王'); // the lock has run out
  });

  it.runIf(pgOk)('on PostgreSQL every instance sees the same failures: tries at one instance lock the address at all', async () => {
    const fresh = await freshDatabaseUrl('postgres');
    const a = openDb(fresh.url);
    await migrateToLatest(a.db);
    const b = openDb(fresh.url);
    try {
      let t = Date.parse('2026-11-28T10:00:00Z');
      const atA = createDeskAuth(() => t, databaseFailures(a.db));
      const atB = createDeskAuth(() => t, databaseFailures(b.db));
      for (let i = 0; i < DESK_MAX_FAILURES; i++) {
        expect(await statusOf(() => (i % 2 ? atA : atB)(request('10.0.0.1', 'wrong'), shop))).toBe(401);
      }
      expect(await statusOf(() => atA(request('10.0.0.1', PASSWORD), shop))).toBe(429);
      expect(await statusOf(() => atB(request('10.0.0.1', PASSWORD), shop))).toBe(429);
      expect(await atB(request('10.0.0.2', PASSWORD), shop)).toBe('小王');
      t += DESK_FAILURE_WINDOW_MS + 1;
      expect(await atA(request('10.0.0.1', PASSWORD), shop)).toBe('小王');
      // A success clears the address's recent failures (a typo or two is forgotten).
      for (let i = 0; i < 2; i++) await statusOf(() => atB(request('10.0.0.3', 'wrong'), shop));
      expect(await atA(request('10.0.0.3', PASSWORD), shop)).toBe('小王');
      expect(await a.db.selectFrom('send_rates').select('key').where('key', '=', 'desk ip 10.0.0.3').execute()).toEqual([]);
    } finally {
      await a.close();
      await b.close();
      await fresh.cleanup();
    }
  });
});
