import { sql } from 'kysely';
import type { Kysely } from 'kysely';
import { createRateLimiter } from '../../adapters/shared/rate.js';
import type { Rate } from '../../adapters/shared/rate.js';
import type { Dialect } from './index.js';
import { isPostgres } from './prepared.js';
import type { Database } from './schema.js';

/** Sends older than this are deleted: longer than any platform's send window (a minute at most). */
export const SEND_RATE_KEEP_MS = 10 * 60_000;

/** The key of a per-recipient limit: it names the customer, so `xiaoer forget` removes it too. */
export function recipientRateKey(shopId: string, channel: string, conversationKey: string): string {
  return `${shopId}:${channel}:${conversationKey}`;
}

export interface SendLimit {
  key: string;
  rate: Rate;
}

/**
 * Platform send limits shared by every instance on one database: the same sliding window as the
 * in-memory limiter (at most `count` sends in any `windowMs`), over rows of recent sends. On
 * PostgreSQL each key is locked for the transaction (advisory lock, keys in order), so two
 * instances sending for the same app take turns and never both see room only one of them has.
 * Returns 0 when the send may go now (and is counted), else the milliseconds until it may.
 */
export async function takeSendRate(db: Kysely<Database>, limits: readonly SendLimit[], now: number): Promise<number> {
  return db.transaction().execute(async (trx) => {
    if (isPostgres(trx)) {
      for (const key of [...new Set(limits.map((l) => l.key))].sort()) await sql`select pg_advisory_xact_lock(hashtext(current_schema() || ':' || ${key}::text))`.execute(trx);
    }
    let wait = 0;
    for (const { key, rate } of limits) {
      const recent = await countedSince(trx, key, now - rate.windowMs);
      // Full: wait until the oldest send in the window leaves it.
      if (recent.length >= rate.count) wait = Math.max(wait, recent[0]! + rate.windowMs - now);
    }
    if (wait > 0) return wait;
    for (const { key } of limits) await countOne(trx, key, now);
    return 0;
  });
}

/** The times of `key`'s events after `since`, oldest first, one entry per event. */
export async function countedSince(q: Kysely<Database>, key: string, since: number): Promise<number[]> {
  const rows = await q.selectFrom('send_rates').select(['sent_at', 'count'])
    .where('key', '=', key).where('sent_at', '>', since).orderBy('sent_at').execute();
  return rows.flatMap((r) => Array.from({ length: Number(r.count) }, () => Number(r.sent_at)));
}

/** One more event (a send, a wrong desk password) for `key` at `at`. */
export async function countOne(q: Kysely<Database>, key: string, at: number): Promise<void> {
  await q.insertInto('send_rates').values({ key, sent_at: at, count: 1 })
    .onConflict((oc) => oc.columns(['key', 'sent_at']).doUpdateSet((eb) => ({ count: eb('send_rates.count', '+', 1) })))
    .execute();
}

/** Drops sends no window looks at any more. */
export async function sweepSendRates(db: Kysely<Database>, now: number): Promise<void> {
  await db.deleteFrom('send_rates').where('sent_at', '<', now - SEND_RATE_KEEP_MS).execute();
}

/**
 * Platform send limits as the service keeps them: in memory for the one instance an SQLite file
 * serves; in the database on PostgreSQL, where several instances send for the same app or robot
 * and each would otherwise use the whole limit (domain.md §11: exceeding platform limits gets
 * accounts banned). Resolves to 0 (go, counted) or the milliseconds to wait.
 */
export function createSendLimiter(db: Kysely<Database>, dialect: Dialect, now: () => number) {
  const memory = createRateLimiter(now);
  let swept = 0;
  return async (limits: readonly SendLimit[]): Promise<number> => {
    if (dialect !== 'postgres') return memory.take(limits);
    const at = now();
    // By time, not by count: a small shop sending a few messages a day still drops old rows.
    if (at - swept >= SEND_RATE_KEEP_MS) {
      swept = at;
      await sweepSendRates(db, at);
    }
    return takeSendRate(db, limits, at);
  };
}
