import type { Transaction } from 'kysely';
import type { Database } from './schema.js';
import type { Db } from './index.js';

export type Unit<T> = (trx: Transaction<Database>) => Promise<T>;

/**
 * Group commit: concurrent webhooks share one transaction, and each caller's promise
 * resolves only after that shared commit — the ack stays durable while the per-commit
 * cost (~130 µs on SQLite here) is paid once per batch instead of once per request.
 * If a batch fails (one bad unit aborts a Postgres transaction), every unit is re-run
 * alone so one failure never takes its neighbours down with it.
 *
 * Lanes: SQLite has one writer, so one lane. On Postgres each statement is a network round
 * trip, and one transaction at a time left the database idle between them (700 webhooks/s
 * in bench/webhook.ts); several lanes commit side by side on the pool's connections. Units
 * with the same key (a customer) always take the same lane, so one customer's messages
 * keep their order and two lanes never wait on each other's rows for them.
 */
export interface WriteBatcher {
  /** `key`: units that touch the same rows (one customer's) should share it. */
  run<T>(unit: Unit<T>, key?: string): Promise<T>;
  /** Resolves when everything queued so far is committed. */
  drain(): Promise<void>;
}

/** The batch key of everything one customer's rows are touched by (messages, follow-ups, order events). */
export function customerBatchKey(shopId: string, channel: string, userId: string): string {
  return `${shopId}\0${channel}\0${userId}`;
}

/** Large enough to amortise the commit, small enough that a batch holds the writer briefly. */
export const MAX_BATCH = 64;

interface Pending {
  unit: Unit<unknown>;
  resolve(value: unknown): void;
  reject(err: unknown): void;
}

interface Lane {
  queue: Pending[];
  running: Promise<void> | null;
}

export function createWriteBatcher(db: Db, maxBatch = MAX_BATCH, lanes = 1): WriteBatcher {
  const all: Lane[] = Array.from({ length: Math.max(1, lanes) }, () => ({ queue: [], running: null }));
  let nextLane = 0;

  async function flushAll(lane: Lane): Promise<void> {
    while (lane.queue.length) {
      const batch = lane.queue.splice(0, maxBatch);
      let results: unknown[] | null = null;
      try {
        results = await db.transaction().execute(async (trx) => {
          const out: unknown[] = [];
          for (const p of batch) out.push(await p.unit(trx));
          return out;
        });
      } catch {
        results = null;
      }
      if (results) {
        batch.forEach((p, i) => p.resolve(results![i]));
        continue;
      }
      for (const p of batch) {
        try {
          p.resolve(await db.transaction().execute(p.unit));
        } catch (err) {
          p.reject(err);
        }
      }
    }
  }

  function kick(lane: Lane): Promise<void> {
    if (!lane.running) {
      // setImmediate lets every request already parsed in this turn join the batch.
      lane.running = new Promise<void>((r) => setImmediate(r)).then(() => flushAll(lane)).finally(() => {
        lane.running = null;
        if (lane.queue.length) void kick(lane);
      });
    }
    return lane.running;
  }

  function laneFor(key: string | undefined): Lane {
    if (all.length === 1) return all[0]!;
    if (key === undefined) return all[nextLane++ % all.length]!;
    return all[fnv1a(key) % all.length]!;
  }

  return {
    run<T>(unit: Unit<T>, key?: string): Promise<T> {
      const lane = laneFor(key);
      return new Promise<T>((resolve, reject) => {
        lane.queue.push({ unit, resolve: resolve as (v: unknown) => void, reject });
        void kick(lane);
      });
    },
    async drain() {
      for (;;) {
        const busy = all.filter((l) => l.running || l.queue.length);
        if (!busy.length) return;
        await Promise.all(busy.map(kick));
      }
    },
  };
}

/** 32-bit FNV-1a: a cheap, stable spread of keys over lanes. */
function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
