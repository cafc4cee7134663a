/** A time of day as staff write it: 24-hour HH:MM (business hours, quiet hours, `at:`, --time). */
export const HHMM = /^([01]\d|2[0-3]):[0-5]\d$/;

/** Shop-local calendar facts. Formatters are cached: building one costs ~50 µs, using one ~2 µs. */
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-CA', {
      timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
    });
    formatters.set(tz, f);
  }
  return f;
}

export interface LocalTime {
  /** YYYY-MM-DD in the shop's time zone */
  day: string;
  /** minutes since local midnight */
  minutes: number;
}

/** formatToParts costs ~5 µs; the answer only changes once a minute, so the last one per zone is kept. */
const lastByZone = new Map<string, { minute: number; value: LocalTime }>();

export function localTime(at: Date | number, tz: string): LocalTime {
  const ms = typeof at === 'number' ? at : at.getTime();
  const minute = Math.floor(ms / 60_000);
  const hit = lastByZone.get(tz);
  if (hit && hit.minute === minute) return hit.value;
  const value = computeLocalTime(ms, tz);
  lastByZone.set(tz, { minute, value });
  return value;
}

/**
 * Epoch ms of the shop-local midnight that began the day of `at` (from the wall-clock minutes;
 * on a daylight-saving change day it is off by the shift, which no caller minds).
 */
export function localDayStart(at: number, local: LocalTime): number {
  return Math.floor(at / 60_000) * 60_000 - local.minutes * 60_000;
}

function computeLocalTime(at: number, tz: string): LocalTime {
  const parts = formatter(tz).formatToParts(at);
  const get = (t: string) => parts.find((p) => p.type === t)?.value ?? '00';
  return { day: `${get('year')}-${get('month')}-${get('day')}`, minutes: Number(get('hour')) * 60 + Number(get('minute')) };
}

export function hhmmToMinutes(hhmm: string): number {
  const [h, m] = hhmm.split(':');
  return Number(h) * 60 + Number(m);
}

/** When the daily window from–to next begins, seen from `at` (`at` itself when inside it). */
export function nextStartOf(at: number, local: LocalTime, from: string, to: string): number {
  if (isWithinHours(local.minutes, from, to)) return at;
  let start = localDayStart(at, local) + hhmmToMinutes(from) * 60_000;
  if (start <= at) start += 86_400_000;
  return start;
}

/** A window that never opens again within this many days is taken as never opening (a guard, not a setting). */
const MAX_WINDOW_DAYS = 14;

/**
 * `at` plus `minutes` of time inside the daily window from–to: time while it is shut does not
 * count (a person's 120 minutes to answer run from opening, and stop at closing).
 */
export function addMinutesWithin(at: number, tz: string, from: string, to: string, minutes: number): number {
  if (hhmmToMinutes(from) === hhmmToMinutes(to)) return at + minutes * 60_000; // always open
  let left = minutes * 60_000;
  let t = at;
  for (let day = 0; day < MAX_WINDOW_DAYS * 2; day++) {
    t = nextStartOf(t, localTime(t, tz), from, to);
    const closes = nextStartOf(t, localTime(t, tz), to, from); // where the shut hours begin
    if (t + left <= closes) return t + left;
    left -= closes - t;
    t = closes;
  }
  return at + minutes * 60_000;
}

/** Open when from ≤ t < to; a window like 20:00–02:00 wraps past midnight. */
export function isWithinHours(minutes: number, from: string, to: string): boolean {
  const f = hhmmToMinutes(from);
  const t = hhmmToMinutes(to);
  if (f === t) return true;
  return f < t ? minutes >= f && minutes < t : minutes >= f || minutes < t;
}

/** "YYYY-MM-DD HH:MM" on the shop's clock, as staff read times. */
export function localStamp(ms: number, tz: string): string {
  const t = localTime(ms, tz);
  return `${t.day} ${String(Math.floor(t.minutes / 60)).padStart(2, '0')}:${String(t.minutes % 60).padStart(2, '0')}`;
}
