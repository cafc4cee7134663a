import type { ShopConfig } from '../config/schema.js';
import { insertAlert } from '../db/alerts.js';
import { getCursor, saveCursor } from '../db/cursors.js';
import type { Db, Dialect } from '../db/index.js';
import { withSharedTryLock } from '../db/locks.js';
import { hhmmToMinutes, localDayStart, localTime } from '../engine/time.js';
import type { Logger } from '../log.js';
import type { PlaybookStore } from '../playbook/store.js';
import { buildReport } from '../report/index.js';
import { reportPeriod } from '../report/period.js';
import { weeklySummary } from '../report/summary.js';
import { createTicker, throttled } from './ticker.js';

const DAY_MS = 86_400_000;
const WEEK_MS = 7 * DAY_MS;
/** Whether a report is due is looked at once a minute: it is set to the minute. */
export const WEEKLY_REPORT_CHECK_EVERY_MS = 60_000;
/** A report the service was down for is still sent this long after its time; later it is skipped, not sent days late. */
export const WEEKLY_REPORT_LATE_MS = DAY_MS;
/** Where each shop remembers the last report time it handled (platform_cursors: shop, channel, account). */
const CURSOR = { channel: 'xiaoer', account: 'weekly-report' } as const;
export const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;

/** The latest time the shop's report was due, at or before `now` (shop-local weekday and HH:MM). */
export function lastDue(when: { day: (typeof WEEKDAYS)[number]; at: string }, tz: string, now: number): number {
  const local = localTime(now, tz);
  const weekday = new Date(`${local.day}T00:00:00Z`).getUTCDay();
  const back = (weekday - WEEKDAYS.indexOf(when.day) + 7) % 7;
  let due = localDayStart(now, local) - back * DAY_MS + hhmmToMinutes(when.at) * 60_000;
  if (due > now) due -= WEEK_MS;
  return due;
}

export interface WeeklyReportDeps {
  db: Db;
  dialect: Dialect;
  shops: ReadonlyMap<string, ShopConfig>;
  playbooks: PlaybookStore;
  log: Logger;
  now: () => number;
  /** After a report was queued for the robots: deliver it now. */
  onAlert: () => void;
}

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

  const ticker = createTicker(async () => {
    const now = deps.now();
    let sent = 0;
    await withSharedTryLock(deps.db, deps.dialect, 'xiaoer:weekly-report', async () => {
      for (const shop of deps.shops.values()) {
        if (shop.alerts.weeklyReport && await checkShop(shop, shop.alerts.weeklyReport, now)) sent += 1;
      }
    });
    if (sent > 0) {
      deps.log.info({ sent }, 'weekly reports queued for the staff robots');
      deps.onAlert();
    }
    return { handled: sent, more: false };
  }, (err) => deps.log.error({ err }, 'weekly report failed; the next check tries again'));

  return {
    tick: throttled(ticker, WEEKLY_REPORT_CHECK_EVERY_MS, deps.now),
    idle: () => ticker.idle(),
  };
}
export type WeeklyReport = ReturnType<typeof createWeeklyReport>;
