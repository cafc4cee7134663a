import type { Kysely } from 'kysely';
import type { Context } from 'koa';
import { safeEqual } from '../../adapters/shared/crypto.js';
import type { ShopConfig } from '../config/schema.js';
import type { Database } from '../db/schema.js';
import { countOne, countedSince } from '../db/send-rates.js';
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

/** Wrong-password times by key (`ip <address>`, `shop <id>`), oldest first, within the window. */
export interface FailureLog {
  recent(key: string, t: number): Promise<number[]>;
  add(keys: readonly string[], t: number): Promise<void>;
  clear(key: string): Promise<void>;
  /** Keys on record (memory only; for tests of the purge). */
  tracked?(): number;
}

/** One instance's failures, in memory. */
export function memoryFailures(): FailureLog {
  const failures = new Map<string, number[]>();
  let lastPurge = 0;
  const inWindow = (key: string, t: number) => (failures.get(key) ?? []).filter((x) => t - x < DESK_FAILURE_WINDOW_MS);
  return {
    async recent(key, t) {
      return inWindow(key, t);
    },
    async add(keys, t) {
      // Addresses that failed and never came back would stay in the map for good (and a guesser
      // varying X-Forwarded-For adds one per try): once a window, keys whose latest failure is
      // out of the window go.
      if (t - lastPurge >= DESK_FAILURE_WINDOW_MS) {
        lastPurge = t;
        for (const [key, times] of failures) if (t - times.at(-1)! >= DESK_FAILURE_WINDOW_MS) failures.delete(key);
      }
      for (const key of keys) failures.set(key, [...inWindow(key, t), t]);
    },
    async clear(key) {
      failures.delete(key);
    },
    tracked: () => failures.size,
  };
}

/**
 * Failures shared by every instance on one PostgreSQL (send_rates, keys prefixed `desk `):
 * behind a load balancer each instance would otherwise allow the whole number of tries.
 */
export function databaseFailures(db: Kysely<Database>): FailureLog {
  const k = (key: string) => `desk ${key}`;
  return {
    recent: (key, t) => countedSince(db, k(key), t - DESK_FAILURE_WINDOW_MS),
    async add(keys, t) {
      for (const key of keys) await countOne(db, k(key), t);
    },
    async clear(key) {
      await db.deleteFrom('send_rates').where('key', '=', k(key)).execute();
    },
  };
}

/**
 * Desk sign-in: HTTP Basic, user name = the staff member's own name, password = the shop's
 * desk password. Basic because every browser asks for it without a sign-in page or session
 * store of ours; over HTTPS (the desk's URL is the webhook host's) it is as safe as a form.
 */
export function createDeskAuth(now: () => number, failures: FailureLog = memoryFailures()) {
  const minutesLeft = (tries: number[], t: number) => Math.ceil((tries[0]! + DESK_FAILURE_WINDOW_MS - t) / 60_000);

  function refuse(shop: ShopConfig, reason: string): never {
    throw new RequestError(401, reason, { headers: { 'WWW-Authenticate': `Basic realm="xiaoer desk ${shop.id}", charset="UTF-8"` } });
  }

  /** The staff member's name, or a 401 (the browser asks again) / 429 (too many wrong passwords). */
  async function staffOf(ctx: Context, shop: ShopConfig): Promise<string> {
    if (!shop.desk) throw new RequestError(404, `shop "${shop.id}" has no staff desk (set desk.password in its config)`);
    const t = now();
    const ipKey = `ip ${ctx.ip}`;
    const shopKey = `shop ${shop.id}`;
    const tries = await failures.recent(ipKey, t);
    if (tries.length >= DESK_MAX_FAILURES) {
      throw new RequestError(429, `too many wrong passwords from this address; try again in ${minutesLeft(tries, t)} min`);
    }
    const shopTries = await failures.recent(shopKey, t);
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
      await failures.add([ipKey, shopKey], t);
      refuse(shop, 'wrong desk password');
    }
    if (!name || name.length > STAFF_NAME_MAX || /[\p{Cc}]/u.test(name)) {
      refuse(shop, `sign in with your own name (1–${STAFF_NAME_MAX} characters) as the user name: replies are kept with it`);
    }
    if (tries.length) await failures.clear(ipKey);
    return name;
  }
  /** Addresses and shops with failures on record (memory log; for tests of the purge). */
  staffOf.tracked = () => failures.tracked?.() ?? 0;
  return staffOf;
}
