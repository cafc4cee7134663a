import type { Kysely } from 'kysely';
import type { Rate } from '../../adapters/shared/rate.js';
import type { Database } from './schema.js';

/** Windows older than this are deleted: longer than any platform's send window (a minute at most). */
export const SEND_RATE_KEEP_MS = 10 * 60_000;

export interface SendLimit {
  key: string;
  rate: Rate;
}

/** Thrown inside the transaction so the counts it added are rolled back. */
class NoRoom extends Error {
  constructor(readonly waitMs: number) {
    super('send rate full');
  }
}

/**
 * Platform send limits shared by every instance on one database. Each limit counts sends in
 * fixed windows and estimates the sliding window as the current count plus the previous
 * window's count weighted by how much of it still overlaps — so a burst at a window's edge
 * cannot send twice the limit. The counts are added first and the transaction rolled back
 * when a limit is full: the upsert locks the row on PostgreSQL, so two instances sending for
 * the same app take turns and never both see room that only one of them has.
 * Returns 0 when the send may go now (and is counted), else the milliseconds until it may.
 */
export async function takeSendRate(db: Kysely<Database>, limits: readonly SendLimit[], now: number): Promise<number> {
  try {
    return await db.transaction().execute(async (trx) => {
      let wait = 0;
      for (const { key, rate } of limits) {
        const start = Math.floor(now / rate.windowMs) * rate.windowMs;
        const row = await trx.insertInto('send_rates').values({ key, window_start: start, count: 1 })
          .onConflict((oc) => oc.columns(['key', 'window_start']).doUpdateSet((eb) => ({ count: eb('send_rates.count', '+', 1) })))
          .returning('count').executeTakeFirstOrThrow();
        const prev = await trx.selectFrom('send_rates').select('count')
          .where('key', '=', key).where('window_start', '=', start - rate.windowMs).executeTakeFirst();
        wait = Math.max(wait, waitFor(rate, Number(row.count), Number(prev?.count ?? 0), now - start));
      }
      if (wait > 0) throw new NoRoom(wait);
      return 0;
    });
  } catch (err) {
    if (err instanceof NoRoom) return err.waitMs;
    throw err;
  }
}

/**
 * 0 when `current` sends in this window (this one included) plus the previous window's share
 * fit the rate; else how long until they do: the previous window's share shrinks as time
 * passes, and at the next window only this window's count is left as "previous".
 */
export function waitFor(rate: Rate, current: number, previous: number, elapsed: number): number {
  const estimate = (w: number) => previous * Math.max(0, 1 - w / rate.windowMs) + current;
  if (estimate(elapsed) <= rate.count) return 0;
  if (current > rate.count) return rate.windowMs - elapsed;
  // previous × (1 − t/W) + current ≤ count  ⇔  t ≥ W × (1 − (count − current) / previous)
  const t = rate.windowMs * (1 - (rate.count - current) / previous);
  return Math.max(1, Math.ceil(t - elapsed));
}

/** Drops windows no limit looks at any more. */
export async function sweepSendRates(db: Kysely<Database>, now: number): Promise<void> {
  await db.deleteFrom('send_rates').where('window_start', '<', now - SEND_RATE_KEEP_MS).execute();
}
