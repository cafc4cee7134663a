/**
 * The loop every worker here shares: a tick runs `once` until it says there is no more work; a
 * tick asked for while one runs joins it and makes it go round once more, so pokes coalesce and
 * two rounds never overlap. Errors are reported, never thrown into the caller (node-cron, a poke).
 */
export interface Ticker {
  tick(): Promise<number>;
  /** Resolves when no round is running. */
  idle(): Promise<void>;
}

export function createTicker(once: () => Promise<{ handled: number; more: boolean }>, onError: (err: unknown) => void): Ticker {
  let running: Promise<number> | null = null;
  let again = false;
  function tick(): Promise<number> {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      let total = 0;
      try {
        do {
          again = false;
          const { handled, more } = await once();
          total += handled;
          if (more) again = true;
        } while (again);
      } catch (err) {
        onError(err);
      } finally {
        running = null;
      }
      return total;
    })();
    return running;
  }
  return {
    tick,
    async idle() {
      while (running) await running;
    },
  };
}

/**
 * A ticker run at most once per `everyMs` of the clock: node-cron ticks every second, sweeps
 * (handoff reminders, retention) need far less. `force` runs it now (tests, start-up).
 */
export function throttled(ticker: Ticker, everyMs: number, now: () => number): (force?: boolean) => Promise<number> {
  let last = -Infinity;
  return (force = false) => {
    const t = now();
    if (!force && t - last < everyMs) return Promise.resolve(0);
    last = t;
    return ticker.tick();
  };
}
