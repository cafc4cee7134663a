import { addMinutesWithin, localTime } from './time.js';

/**
 * Announcements to many customers go out spread over time at random moments, never as one burst
 * nor at a steady beat: accounts get banned for bulk or regular-interval automated sending
 * (domain.md §11). Spreading counts only time outside the shop's quiet hours.
 */

/** Up to this many customers an announcement goes out at once unless staff give --over. */
export const SPREAD_ABOVE_CUSTOMERS = 20;
/** The shortest default spread, and the share of an hour each further customer adds (1 h per 1,000). */
export const SPREAD_MIN_MS = 30 * 60_000;
export const SPREAD_PER_CUSTOMER_MS = 3_600;
/** The longest spread staff may ask for: an announcement a week late is another announcement. */
export const SPREAD_MAX_MS = 7 * 86_400_000;

/** How long `n` announcements are spread over when staff do not say (--over). */
export function defaultSpreadMs(n: number): number {
  return n <= SPREAD_ABOVE_CUSTOMERS ? 0 : Math.min(SPREAD_MAX_MS, Math.max(SPREAD_MIN_MS, n * SPREAD_PER_CUSTOMER_MS));
}

/**
 * One due time per customer: `start` plus a random share of `overMs` of time outside quiet hours
 * (`over` 0: all at the first moment outside them). In the customers' order, not sorted, so who
 * hears first is random too.
 */
export function spreadDueTimes(
  n: number, start: number, overMs: number, tz: string, quietHours: { from: string; to: string }, random: () => number,
): number[] {
  // Outside quiet hours is the daily window from their end to their start.
  // Whole milliseconds: due times are integer columns (PostgreSQL refuses a fraction).
  return Array.from({ length: n }, () => Math.round(addMinutesWithin(start, tz, quietHours.to, quietHours.from, Math.floor(random() * overMs) / 60_000)));
}

/**
 * "YYYY-MM-DD HH:MM" on the shop's clock → epoch ms, or null when it is no such time. Found by
 * reading the zone's offset at the naive UTC reading and once more at the result (a
 * daylight-saving change between them moves it by the shift).
 */
export function parseLocalDateTime(text: string, tz: string): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})[ T]([01]\d|2[0-3]):([0-5]\d)$/.exec(text.trim());
  if (!m) return null;
  const naive = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]));
  if (new Date(naive).getUTCDate() !== Number(m[3])) return null; // 2026-02-30
  let at = naive;
  for (let i = 0; i < 2; i++) at = naive - offsetAt(at, tz);
  return at;
}

function offsetAt(at: number, tz: string): number {
  const local = localTime(at, tz);
  const [y, mo, d] = local.day.split('-').map(Number) as [number, number, number];
  return Date.UTC(y, mo - 1, d) + local.minutes * 60_000 - Math.floor(at / 60_000) * 60_000;
}
