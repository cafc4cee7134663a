/** At most `count` sends in any `windowMs`. */
export interface Rate {
  readonly count: number;
  readonly windowMs: number;
}

/**
 * Sliding-window send limits kept in memory (per instance): platforms ban accounts that burst
 * past their limits (domain.md §11), so the outbox waits instead of being refused.
 */
export function createRateLimiter(now: () => number) {
  const sent = new Map<string, number[]>();
  function recent(key: string, windowMs: number): number[] {
    const t = now();
    const list = (sent.get(key) ?? []).filter((x) => t - x < windowMs);
    sent.set(key, list);
    return list;
  }
  return {
    /** 0 when every limit has room (and the send is recorded against all of them), else ms until one frees. */
    take(limits: readonly { key: string; rate: Rate }[]): number {
      let wait = 0;
      for (const { key, rate } of limits) {
        const list = recent(key, rate.windowMs);
        if (list.length >= rate.count) wait = Math.max(wait, list[0]! + rate.windowMs - now());
      }
      if (wait > 0) return wait;
      for (const { key } of limits) sent.get(key)!.push(now());
      return 0;
    },
  };
}
