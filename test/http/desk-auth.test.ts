import type { Context } from 'koa';
import { describe, expect, it } from 'vitest';
import type { ShopConfig } from '../../src/config/schema.js';
import { RequestError } from '../../src/errors.js';
import { createDeskAuth, DESK_FAILURE_WINDOW_MS, DESK_MAX_FAILURES } from '../../src/http/desk-auth.js';

const PASSWORD = 'desk-password-0123';
const shop = { id: 'acme', desk: { password: PASSWORD } } as unknown as ShopConfig;
const request = (ip: string, password: string, name = '小王') => ({
  ip, get: (h: string) => (h === 'authorization' ? `Basic ${Buffer.from(`${name}:${password}`).toString('base64')}` : ''),
}) as unknown as Context;
const statusOf = (f: () => unknown) => {
  try {
    f();
    return 200;
  } catch (err) {
    return (err as RequestError).status;
  }
};

describe('desk sign-in failures', () => {
  it('locks an address after its tries, and forgets addresses whose failures are out of the window', () => {
    let t = Date.parse('2026-11-28T10:00:00Z');
    const staffOf = createDeskAuth(() => t);
    for (let i = 0; i < DESK_MAX_FAILURES; i++) expect(statusOf(() => staffOf(request('10.0.0.1', 'wrong'), shop))).toBe(401);
    expect(statusOf(() => staffOf(request('10.0.0.1', PASSWORD), shop))).toBe(429); // locked, even with the right password
    expect(staffOf(request('10.0.0.2', PASSWORD), shop)).toBe('小王'); // another address is not

    for (let i = 0; i < 50; i++) statusOf(() => staffOf(request(`192.0.2.${i}`, 'wrong'), shop)); // a guesser varying its address
    expect(staffOf.tracked()).toBe(52); // 51 addresses and the shop

    t += DESK_FAILURE_WINDOW_MS + 1;
    expect(statusOf(() => staffOf(request('198.51.100.7', 'wrong'), shop))).toBe(401);
    expect(staffOf.tracked()).toBe(2); // the old ones went; this address and the shop remain
    expect(staffOf(request('10.0.0.1', PASSWORD), shop)).toBe('小王'); // the lock has run out
  });
});
