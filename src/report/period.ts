import { localDayStart, localTime } from '../engine/time.js';
import type { Period } from '../db/report.js';

const DAY_MS = 86_400_000;
/** `--days` longer than this is almost certainly a typo (and would read years of rows). */
export const MAX_REPORT_DAYS = 366;
/** A week, when neither `--days` nor `--from` is given. */
export const DEFAULT_REPORT_DAYS = 7;

export interface ReportPeriod extends Period {
  /** Shop-local dates, inclusive, for the heading. */
  fromDay: string;
  toDay: string;
}

/**
 * The shop-local days a report covers: `--days N` is the last N days including today (so far);
 * `--from`/`--to` are inclusive YYYY-MM-DD dates in the shop's time zone. Throws a message
 * naming the flag when a value is unusable.
 */
export function reportPeriod(o: { days?: string; from?: string; to?: string }, tz: string, now: number): ReportPeriod {
  const today = localTime(now, tz);
  const todayStart = localDayStart(now, today);
  if (o.from === undefined && o.to === undefined) {
    const days = o.days === undefined ? DEFAULT_REPORT_DAYS : Number(o.days);
    if (!Number.isInteger(days) || days < 1 || days > MAX_REPORT_DAYS) throw new Error(`--days must be a whole number from 1 to ${MAX_REPORT_DAYS} (got "${o.days}")`);
    const from = todayStart - (days - 1) * DAY_MS;
    return { from, to: now, fromDay: localTime(from, tz).day, toDay: today.day };
  }
  if (o.days !== undefined) throw new Error('use either --days or --from/--to, not both');
  const from = o.from === undefined ? todayStart : dayStart(o.from, '--from', tz);
  const to = o.to === undefined ? now : Math.min(now, dayStart(o.to, '--to', tz) + DAY_MS);
  if (to <= from) throw new Error(`--to (${o.to ?? today.day}) is before --from (${o.from})`);
  if (to - from > MAX_REPORT_DAYS * DAY_MS) throw new Error(`a report covers at most ${MAX_REPORT_DAYS} days`);
  return { from, to, fromDay: localTime(from, tz).day, toDay: localTime(to - 1, tz).day };
}

/** Epoch ms of the shop-local midnight that starts `day` (YYYY-MM-DD). */
function dayStart(day: string, flag: string, tz: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  const noonUtc = m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), 12) : NaN;
  if (!m || Number.isNaN(noonUtc) || new Date(noonUtc).toISOString().slice(0, 10) !== day) {
    throw new Error(`${flag} must be a date like 2026-11-01 (got "${day}")`);
  }
  // Noon UTC falls on `day` or a neighbour in the shop's zone; step to that local day's midnight.
  const local = localTime(noonUtc, tz);
  return localDayStart(noonUtc, local) + (Date.parse(day) - Date.parse(local.day));
}
