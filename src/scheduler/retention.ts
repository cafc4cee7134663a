import type { Db, Dialect } from '../db/index.js';
import { withSharedTryLock } from '../db/locks.js';
import { pruneAlerts, pruneFollowUps, pruneMessages } from '../db/retention.js';
import type { Pruned } from '../db/retention.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import { createTicker, throttled } from './ticker.js';

/** How often old rows are looked for. A sweep with nothing to remove reads one page per table. */
export const RETENTION_SWEEP_EVERY_MS = 3_600_000;
/**
 * Chunks per table per sweep (RETENTION_CHUNK rows each, ~10 ms apiece): bounds one sweep's
 * work, so turning retention on for a years-old database works through the backlog at up to
 * ~200,000 rows an hour per table instead of keeping the writer busy in one go.
 */
export const RETENTION_MAX_CHUNKS = 1_000;
const DAY_MS = 86_400_000;

export interface RetentionDeps {
  db: Db;
  dialect: Dialect;
  /** retention.days from the config; null keeps everything. */
  days: number | null;
  log: Logger;
  metrics: Metrics;
  now: () => number;
}

type Prune = (db: Db, cutoff: number, after: number) => Promise<Pruned>;
const TABLES: readonly [string, Prune][] = [['messages', pruneMessages], ['alerts', pruneAlerts], ['follow_ups', pruneFollowUps]];

/**
 * Personal information is kept no longer than the shop needs it (个人信息保护法 §19): chat
 * messages with their raw payloads and replies, staff alerts quoting chats and finished
 * follow-ups older than retention.days are deleted, a chunk at a time, by one instance at a time.
 * Customers (tags, tier, 退订), conversations and orders stay: they are the shop's records, and an
 * opt-out must outlive the chat it was given in. `xiaoer customers forget` removes one customer's.
 */
export function createRetention(deps: RetentionDeps) {
  let stopping = false;

  async function sweep(): Promise<Record<string, number>> {
    const removed: Record<string, number> = {};
    if (deps.days === null) return removed;
    const cutoff = deps.now() - deps.days * DAY_MS;
    await withSharedTryLock(deps.db, deps.dialect, 'xiaoer:retention', async () => {
      for (const [table, prune] of TABLES) {
        let after = 0;
        for (let chunk = 0; chunk < RETENTION_MAX_CHUNKS; chunk++) {
          const p = await prune(deps.db, cutoff, after);
          removed[table] = (removed[table] ?? 0) + p.deleted;
          if (p.replies) removed.replies = (removed.replies ?? 0) + p.replies;
          after = p.after;
          if (!p.more || stopping) break;
          await new Promise((r) => setImmediate(r)); // let waiting webhooks take the writer
        }
      }
    });
    return removed;
  }

  const ticker = createTicker(async () => {
    const removed = await sweep();
    const total = Object.values(removed).reduce((a, b) => a + b, 0);
    for (const [table, count] of Object.entries(removed)) if (count) deps.metrics.retained.inc({ table }, count);
    if (total > 0) deps.log.info({ removed, days: deps.days }, 'removed data older than the retention period');
    return { handled: total, more: false };
  }, (err) => deps.log.error({ err }, 'retention sweep failed; the next one tries again'));

  const sweepEvery = throttled(ticker, RETENTION_SWEEP_EVERY_MS, deps.now);

  return {
    /** Sweeps when RETENTION_SWEEP_EVERY_MS have passed since the last one (`force`: now). Returns rows removed. */
    async tick(force = false): Promise<number> {
      return stopping || deps.days === null ? 0 : sweepEvery(force);
    },
    /** Ends a running sweep after its current chunk (shutdown); what is left goes next time. */
    async stop(): Promise<void> {
      stopping = true;
      await ticker.idle();
    },
    idle: () => ticker.idle(),
  };
}
export type Retention = ReturnType<typeof createRetention>;
