import type { Context } from 'koa';
import { safeEqual } from '../../adapters/shared/crypto.js';
import type { ShopConfig } from '../config/schema.js';
import { RequestError } from '../errors.js';

/** Wrong passwords from one address before it must wait: enough for typos, too few to guess. */
export const DESK_MAX_FAILURES = 10;
export const DESK_FAILURE_WINDOW_MS = 10 * 60_000;
/**
 * Wrong passwords for one shop from all addresses together. Behind a proxy the address comes from
 * X-Forwarded-For, which a guesser can vary; this cap bounds guessing whatever they send.
 */
export const DESK_MAX_SHOP_FAILURES = 100;
/** Staff names are shown to colleagues and kept with every reply ("on record", domain.md §10). */
export const STAFF_NAME_MAX = 32;

/**
 * Desk sign-in: HTTP Basic, user name = the staff member's own name, password = the shop's
 * desk password. Basic because every browser asks for it without a sign-in page or session
 * store of ours; over HTTPS (the desk's URL is the webhook host's) it is as safe as a form.
 */
export function createDeskAuth(now: () => number) {
  // Keys: `ip <address>` and `shop <id>`; both forget failures older than the window.
  const failures = new Map<string, number[]>();
  let lastPurge = now();
  /**
   * Addresses that failed and never came back would stay in the map for good (and a guesser
   * varying X-Forwarded-For adds one per try): once a window, keys whose latest failure is out
   * of the window go.
   */
  function purge(t: number): void {
    if (t - lastPurge < DESK_FAILURE_WINDOW_MS) return;
    lastPurge = t;
    for (const [key, times] of failures) if (t - times.at(-1)! >= DESK_FAILURE_WINDOW_MS) failures.delete(key);
  }
  const recent = (key: string, t: number) => (failures.get(key) ?? []).filter((x) => t - x < DESK_FAILURE_WINDOW_MS);
  const minutesLeft = (tries: number[], t: number) => Math.ceil((tries[0]! + DESK_FAILURE_WINDOW_MS - t) / 60_000);

  function refuse(shop: ShopConfig, reason: string): never {
    throw new RequestError(401, reason, { headers: { 'WWW-Authenticate': `Basic realm="xiaoer desk ${shop.id}", charset="UTF-8"` } });
  }

  /** The staff member's name, or a 401 (the browser asks again) / 429 (too many wrong passwords). */
  function staffOf(ctx: Context, shop: ShopConfig): string {
    if (!shop.desk) throw new RequestError(404, `shop "${shop.id}" has no staff desk (set desk.password in its config)`);
    const t = now();
    const ipKey = `ip ${ctx.ip}`;
    const shopKey = `shop ${shop.id}`;
    const tries = recent(ipKey, t);
    const shopTries = recent(shopKey, t);
    if (tries.length >= DESK_MAX_FAILURES) {
      throw new RequestError(429, `too many wrong passwords from this address; try again in ${minutesLeft(tries, t)} min`);
    }
    if (shopTries.length >= DESK_MAX_SHOP_FAILURES) {
      throw new RequestError(429, `too many wrong passwords for this shop's desk (someone may be guessing); try again in ${minutesLeft(shopTries, t)} min`);
    }
    const header = ctx.get('authorization');
    if (!header.startsWith('Basic ')) refuse(shop, 'sign in with your name and the shop desk password');
    const decoded = Buffer.from(header.slice('Basic '.length), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    const name = colon < 0 ? '' : decoded.slice(0, colon).trim();
    const password = colon < 0 ? '' : decoded.slice(colon + 1);
    if (!safeEqual(password, shop.desk.password)) {
      purge(t);
      failures.set(ipKey, [...tries, t]);
      failures.set(shopKey, [...shopTries, t]);
      refuse(shop, 'wrong desk password');
    }
    if (!name || name.length > STAFF_NAME_MAX || /[\p{Cc}]/u.test(name)) {
      refuse(shop, `sign in with your own name (1–${STAFF_NAME_MAX} characters) as the user name: replies are kept with it`);
    }
    failures.delete(ipKey);
    return name;
  }
  /** Addresses and shops with failures on record (for tests of the purge). */
  staffOf.tracked = () => failures.size;
  return staffOf;
}
