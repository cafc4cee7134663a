import type { Logger } from 'pino';
import type { WriteBatcher } from '../db/batch.js';
import type { Db, Dialect } from '../db/index.js';
import { claimByIds, claimDue, markFinal, markRetry, markSent, releaseClaim } from '../db/outbox.js';
import type { OutboxRow } from '../db/outbox.js';
import type { Metrics } from '../metrics.js';
import type { SendResult } from '../types/index.js';
import { createTicker } from './ticker.js';

/** Rows claimed per tick; sends run in parallel across conversations, in order within one (send rates are kept by the limiter, not by batch size). */
export const OUTBOX_BATCH = 64;
/** A claimed row not finished by then (process died mid-send) is claimed again. Longer than any send timeout. */
export const OUTBOX_LEASE_MS = 60_000;
/** First retry after ~2 s, doubling, never more than 10 minutes apart. */
export const BACKOFF_BASE_MS = 2_000;
export const BACKOFF_CAP_MS = 10 * 60_000;

export interface OutboxWorkerDeps {
  db: Db;
  /** Outcome writes of concurrent sends share commits (one SQLite commit costs ~130 µs). */
  batcher: WriteBatcher;
  dialect: Dialect;
  log: Logger;
  metrics: Metrics;
  now: () => number;
  random: () => number;
  maxAttempts: number;
  send(row: OutboxRow): Promise<SendResult>;
  /** A reason not to send at all (platform reply limits), checked right before sending. */
  policy?(row: OutboxRow): Promise<string | null>;
  /** Milliseconds to wait before this send fits the platform's send rates (0: go now). */
  throttle?(row: OutboxRow): number | Promise<number>;
  /** Called once per dead-lettered row (alerts hook in here); awaited, its errors logged. */
  onDead?(row: OutboxRow, reason: string, personHasSession: boolean): Promise<void>;
}

export interface OutboxWorker {
  /** Sends what is due now; resolves with the number of rows handled. */
  tick(): Promise<number>;
  /** Ask for a tick soon (after a commit that enqueued rows). Coalesces. */
  poke(): void;
  /** Sends these rows now, beside any running tick (a 微信客服 welcome has 20 s). */
  sendNow(ids: number[]): void;
  /** Resolves when no tick is running or requested. */
  idle(): Promise<void>;
}

/** Exponential backoff with jitter (half fixed, half random) so retries from a burst spread out. */
export function backoffMs(attempts: number, random: () => number): number {
  const exp = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** Math.max(0, attempts - 1));
  return Math.round(exp / 2 + (exp / 2) * random());
}

export function createOutboxWorker(deps: OutboxWorkerDeps): OutboxWorker {
  /** true when the row is finished; else when the conversation's later rows may be tried. */
  async function handle(row: OutboxRow): Promise<true | number> {
    const wait = (await deps.throttle?.(row)) ?? 0;
    if (wait > 0) {
      // Over a platform send rate: back in the queue untried, due when the window frees.
      const now = deps.now();
      await deps.batcher.run((trx) => releaseClaim(trx, row.id, now + wait, now));
      deps.metrics.sends.inc({ channel: row.channel, outcome: 'throttled' });
      return now + wait;
    }
    let result: SendResult;
    try {
      const refused = deps.policy ? await deps.policy(row) : null;
      result = refused ? { ok: false, retry: 'skip', reason: refused } : await deps.send(row);
    } catch (err) {
      result = { ok: false, retry: 'backoff', reason: `unexpected: ${err instanceof Error ? err.message : String(err)}` };
    }
    const now = deps.now();
    if (result.ok) {
      await deps.batcher.run((trx) => markSent(trx, row.id, result.platformId ?? null, now));
      deps.metrics.sends.inc({ channel: row.channel, outcome: 'sent' });
      return true;
    }
    if (result.retry === 'skip') {
      await deps.batcher.run((trx) => markFinal(trx, row.id, 'skipped', result.reason, now));
      deps.metrics.sends.inc({ channel: row.channel, outcome: 'skipped' });
      deps.log.info({ shop: row.shopId, outbox: row.id, message: row.messageId, reason: result.reason }, 'reply skipped by platform rules');
      return true;
    }
    if (result.retry === 'backoff' && row.attempts < deps.maxAttempts) {
      const next = now + backoffMs(row.attempts, deps.random);
      await deps.batcher.run((trx) => markRetry(trx, row.id, next, result.reason, now));
      deps.metrics.sends.inc({ channel: row.channel, outcome: 'retry' });
      deps.log.warn({ shop: row.shopId, outbox: row.id, message: row.messageId, attempt: row.attempts, reason: result.reason }, 'send failed; will retry');
      return now + BACKOFF_BASE_MS;
    }
    const reason = result.retry === 'never' ? result.reason : `gave up after ${row.attempts} attempts: ${result.reason}`;
    await deps.batcher.run((trx) => markFinal(trx, row.id, 'dead', reason, now));
    deps.metrics.sends.inc({ channel: row.channel, outcome: 'dead' });
    deps.log.error({ shop: row.shopId, outbox: row.id, message: row.messageId, channel: row.channel, reason },
      'message dead-lettered: the customer did not get this reply; check the channel credentials and the platform status');
    await deps.onDead?.(row, reason, result.personHasSession === true).catch((err: unknown) => deps.log.error({ err, shop: row.shopId }, 'dead-letter hook failed'));
    return now + BACKOFF_BASE_MS;
  }

  async function sendConversation(rows: OutboxRow[]): Promise<void> {
    for (const [i, row] of rows.entries()) {
      const done = await handle(row);
      if (done === true) continue;
      // Keep the conversation's order: later replies wait for the one that could not go.
      const now = deps.now();
      for (const later of rows.slice(i + 1)) await deps.batcher.run((trx) => releaseClaim(trx, later.id, done, now));
      return;
    }
  }

  async function runOnce(): Promise<number> {
    const rows = await claimDue(deps.db, deps.dialect, deps.now(), OUTBOX_LEASE_MS, OUTBOX_BATCH);
    const byConversation = new Map<string, OutboxRow[]>();
    for (const row of rows) {
      const key = `${row.shopId}\0${row.message.conversationKey}`;
      byConversation.set(key, [...(byConversation.get(key) ?? []), row]);
    }
    await Promise.all([...byConversation.values()].map(sendConversation));
    return rows.length;
  }

  const ticker = createTicker(async () => {
    const n = await runOnce();
    return { handled: n, more: n === OUTBOX_BATCH };
  }, (err) => deps.log.error({ err }, 'outbox tick failed; rows stay queued and are retried on the next tick'));
  const tick = ticker.tick;

  const direct = new Set<Promise<void>>();
  return {
    tick,
    poke() {
      void tick();
    },
    sendNow(ids) {
      const p = (async () => {
        const rows = await claimByIds(deps.db, ids, deps.now(), OUTBOX_LEASE_MS);
        await sendConversation(rows);
      })().catch((err: unknown) => deps.log.error({ err }, 'immediate send failed; the rows stay queued'));
      direct.add(p);
      void p.finally(() => direct.delete(p));
    },
    async idle() {
      do {
        await ticker.idle();
        await Promise.all(direct);
      } while (direct.size);
    },
  };
}
