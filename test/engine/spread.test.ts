import { describe, expect, it } from 'vitest';
import { defaultSpreadMs, parseLocalDateTime, spreadDueTimes } from '../../src/engine/spread.js';
import { localStamp } from '../../src/engine/time.js';

const TZ = 'Asia/Shanghai';
const QUIET = { from: '22:00', to: '08:00' };
/** A seeded generator: the same spread every run, still irregular. */
function seeded(seed: number): () => number {
  let s = seed;
  return () => ((s = (s * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
}

describe('announcements spread over time outside quiet hours', () => {
  it('reads the shop\'s local date and time, and refuses what is no such time', () => {
    expect(parseLocalDateTime('2026-12-24 10:00', TZ)).toBe(Date.parse('2026-12-24T02:00:00Z'));
    expect(parseLocalDateTime('2026-12-24T23:30', 'America/New_York')).toBe(Date.parse('2026-12-25T04:30:00Z'));
    // Summer time in New York: UTC−4.
    expect(parseLocalDateTime('2026-07-01 09:15', 'America/New_York')).toBe(Date.parse('2026-07-01T13:15:00Z'));
    for (const bad of ['2026-02-30 10:00', '2026-12-24 24:00', '12/24 10:00', '2026-12-24', '']) expect(parseLocalDateTime(bad, TZ)).toBeNull();
  });

  it('spreads at random inside the window, skipping quiet hours, never at a steady beat', () => {
    const start = parseLocalDateTime('2026-12-24 21:40', TZ)!;
    const due = spreadDueTimes(200, start, 60 * 60_000, TZ, QUIET, seeded(7));
    const stamps = due.map((t) => localStamp(t, TZ));
    // 20 minutes before quiet hours, the other 40 after them the next morning.
    expect(stamps.every((s) => (s >= '2026-12-24 21:40' && s < '2026-12-24 22:00') || (s >= '2026-12-25 08:00' && s <= '2026-12-25 08:40'))).toBe(true);
    const before = stamps.filter((s) => s < '2026-12-25').length;
    expect(before).toBeGreaterThan(40); // about a third of 200
    expect(before).toBeLessThan(95);
    const gaps = [...due].sort((a, b) => a - b).slice(1).map((t, i, a) => t - (i === 0 ? Math.min(...due) : a[i - 1]!));
    expect(new Set(gaps.map((g) => Math.round(g / 1000))).size).toBeGreaterThan(20);
  });

  it('all at once when not spread: at the start, or where quiet hours end', () => {
    const day = parseLocalDateTime('2026-12-24 10:00', TZ)!;
    expect(spreadDueTimes(3, day, 0, TZ, QUIET, Math.random)).toEqual([day, day, day]);
    const night = parseLocalDateTime('2026-12-24 23:00', TZ)!;
    expect(spreadDueTimes(2, night, 0, TZ, QUIET, Math.random).map((t) => localStamp(t, TZ))).toEqual(['2026-12-25 08:00', '2026-12-25 08:00']);
  });

  it('spreads more than 20 customers by default: 30 minutes at least, an hour per thousand, a week at most', () => {
    expect(defaultSpreadMs(20)).toBe(0);
    expect(defaultSpreadMs(21)).toBe(30 * 60_000);
    expect(defaultSpreadMs(3000)).toBe(3 * 3_600_000);
    expect(defaultSpreadMs(10_000_000)).toBe(7 * 86_400_000);
  });
});

describe('due times', () => {
  it('are whole milliseconds (integer columns)', () => {
    const due = spreadDueTimes(50, Date.parse('2026-12-24T02:00:00Z') + 0.5, 7_777_777, TZ, QUIET, seeded(3));
    expect(due.every(Number.isInteger)).toBe(true);
  });
});
