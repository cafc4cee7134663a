import { WEEKDAYS } from '../config/schema.js';
import type { ShopConfig } from '../config/schema.js';
import { insertAlert } from '../db/alerts.js';
import { getCursor, saveCursor } from '../db/cursors.js';
import { hhmmToMinutes, localDayStart, localTime } from '../engine/time.js';
import { buildReport } from '../report/index.js';
import { reportPeriod } from '../report/period.js';
import { weeklySummary } from '../report/summary.js';
import { createShopSweep } from './shop-sweep.js';
import type { ShopSweepDeps } from './shop-sweep.js';

const DAY_MS = 86_400_000;
const WEEK_MS = 7 * DAY_MS;
/** Whether a report is due is looked at once a minute: it is set to the minute. */
export const WEEKLY_REPORT_CHECK_EVERY_MS = 60_000;
/** A report the service was down for is still sent this long after its time; later it is skipped, not sent days late. */
export const WEEKLY_REPORT_LATE_MS = DAY_MS;
/** Where each shop remembers the last report time it handled (platform_cursors: shop, channel, account). */
const CURSOR = { channel: 'xiaoer', account: 'weekly-report' } as const;

/** The latest time the shop's report was due, at or before `now` (shop-local weekday and HH:MM). */
export function lastDue(when: { day: (typeof WEEKDAYS)[number]; at: string }, tz: string, now: number): number {
  const local = localTime(now, tz);
  const weekday = new Date(`${local.day}T00:00:00Z`).getUTCDay();
  const back = (weekday - WEEKDAYS.indexOf(when.day) + 7) % 7;
  let due = localDayStart(now, local) - back * DAY_MS + hhmmToMinutes(when.at) * 60_000;
  if (due > now) due -= WEEK_MS;
  return due;
}

export type WeeklyReportDeps = ShopSweepDeps;

/**
 * Shops with alerts.weeklyReport get the past seven days' figures in their staff group at the
 * time they chose (domain.md §10: the numbers staff are judged by, without running a command).
 * The report time handled is stored with the alert in one transaction, so each week's report
 * is sent once — across restarts and instances (one checks at a time).
 */
export function createWeeklyReport(deps: WeeklyReportDeps) {
  async function checkShop(shop: ShopConfig, when: NonNullable<ShopConfig['alerts']['weeklyReport']>, now: number): Promise<boolean> {
    const due = lastDue(when, shop.timezone, now);
    const saved = await getCursor(deps.db, shop.id, CURSOR.channel, CURSOR.account);
    if (saved !== null && Number(saved) >= due) return false;
    const fresh = now - due < WEEKLY_REPORT_LATE_MS;
    // The seven whole shop-local days before the report's day.
    const dueStart = localDayStart(due, localTime(due, shop.timezone));
    const period = reportPeriod({ from: localTime(dueStart - WEEK_MS + DAY_MS / 2, shop.timezone).day, to: localTime(dueStart - DAY_MS / 2, shop.timezone).day }, shop.timezone, now);
    const text = fresh ? weeklySummary(await buildReport(deps.db, shop, deps.playbooks.get(shop.id), period)) : null;
    await deps.db.transaction().execute(async (trx) => {
      if (text) await insertAlert(trx, { shopId: shop.id, kind: 'report', rule: null, conversationKey: null, customerId: null, transcript: [], text, at: now });
      await saveCursor(trx, shop.id, CURSOR.channel, CURSOR.account, String(due), now);
    });
    if (!fresh) deps.log.warn({ shop: shop.id, due: new Date(due).toISOString() }, 'weekly report skipped: the service was down at its time and it is a day late');
    return text !== null;
  }

  return createShopSweep(deps, {
    lock: 'xiaoer:weekly-report',
    everyMs: WEEKLY_REPORT_CHECK_EVERY_MS,
    perShop: async (shop, now) => (shop.alerts.weeklyReport && await checkShop(shop, shop.alerts.weeklyReport, now) ? 1 : 0),
    queued: 'weekly reports queued for the staff robots',
    failed: 'weekly report failed; the next check tries again',
  });
}
export type WeeklyReport = ReturnType<typeof createWeeklyReport>;
