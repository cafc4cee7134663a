/** At most `count` sends in any `windowMs`. */
export interface Rate {
  readonly count: number;
  readonly windowMs: number;
}

/** Every this many takes, keys with nothing left in their window are dropped. */
export const RATE_SWEEP_EVERY = 1_000;

/**
 * Sliding-window send limits kept in memory (per instance): platforms ban accounts that burst
 * past their limits (domain.md §11), so the outbox waits instead of being refused.
 */
export function createRateLimiter(now: () => number) {
  // Per-recipient keys would otherwise pile up for every customer ever answered, so idle keys
  // are swept now and then (each remembers its window for that).
  const sent = new Map<string, { windowMs: number; times: number[] }>();
  let takes = 0;
  function recent(key: string, windowMs: number, t: number): number[] {
    const times = (sent.get(key)?.times ?? []).filter((x) => t - x < windowMs);
    sent.set(key, { windowMs, times });
    return times;
  }
  function sweep(t: number): void {
    for (const [key, { windowMs, times }] of sent) if (!times.some((x) => t - x < windowMs)) sent.delete(key);
  }
  return {
    /** 0 when every limit has room (and the send is recorded against all of them), else ms until one frees. */
    take(limits: readonly { key: string; rate: Rate }[]): number {
      const t = now();
      if (++takes % RATE_SWEEP_EVERY === 0) sweep(t);
      let wait = 0;
      for (const { key, rate } of limits) {
        const times = recent(key, rate.windowMs, t);
        if (times.length >= rate.count) wait = Math.max(wait, times[0]! + rate.windowMs - t);
      }
      if (wait > 0) return wait;
      for (const { key } of limits) sent.get(key)!.times.push(t);
      return 0;
    },
    /** Keys still tracked (for tests: idle ones are swept). */
    get keys(): number {
      return sent.size;
    },
  };
}
