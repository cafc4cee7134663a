import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import cron from 'node-cron';
import type { ScheduledTask } from 'node-cron';
import { adapterForChannel } from '../adapters/index.js';
import { createPlatformHttp } from '../adapters/shared/http.js';
import { createTokenCache } from '../adapters/shared/token-cache.js';
import type { SendContext } from '../adapters/types.js';
import type { EnvOptions } from './config/env.js';
import type { AppConfig, ShopConfig } from './config/schema.js';
import { createWriteBatcher } from './db/batch.js';
import { migrateToLatest, openDb } from './db/index.js';
import type { DbHandle } from './db/index.js';
import { countByState } from './db/outbox.js';
import type { OutboxRow } from './db/outbox.js';
import { createHttpApp } from './http/server.js';
import type { Logger } from './log.js';
import { createMetrics } from './metrics.js';
import type { Metrics } from './metrics.js';
import { createPlaybookStore } from './playbook/store.js';
import { watchPlaybooks } from './playbook/watch.js';
import { insertAlert } from './db/alerts.js';
import { formatProblem } from './errors.js';
import type { PlaybookStore } from './playbook/store.js';
import { createOutboxWorker } from './scheduler/outbox-worker.js';
import type { OutboxWorker } from './scheduler/outbox-worker.js';
import type { SendResult } from './types/index.js';

/** node-cron is only the clock: every second it asks the outbox to send whatever is due. */
export const OUTBOX_TICK = '* * * * * *';
/** A little slack before a token's own expiry for clock skew between us and the platform. */
const TOKEN_SKEW_MS = 60_000;

export interface ServiceOptions {
  env: EnvOptions;
  config: AppConfig;
  log: Logger;
  /** Injectable clock and randomness: tests move time and fix choices. */
  now?: () => Date;
  random?: () => number;
  /**
   * auto (default): node-cron ticks and every commit pokes the outbox; manual: commits poke,
   * tests call `worker.tick()` for the rest; off: nothing is sent (benchmarks of the ack path).
   */
  worker?: 'auto' | 'manual' | 'off';
  /** Reload playbooks when their files change (default true). */
  watch?: boolean;
}

export interface Service {
  readonly app: ReturnType<typeof createHttpApp>;
  readonly db: DbHandle;
  readonly worker: OutboxWorker;
  readonly playbooks: PlaybookStore;
  readonly metrics: Metrics;
  listen(port: number, host?: string): Promise<{ server: Server; port: number }>;
  close(): Promise<void>;
}

export async function createService(opts: ServiceOptions): Promise<Service> {
  const now = opts.now ?? (() => new Date());
  const random = opts.random ?? Math.random;
  const { log, config, env } = opts;
  const mode = opts.worker ?? 'auto';
  const playbooks = createPlaybookStore(config.shops, log);
  const db = openDb(env.databaseUrl);
  await migrateToLatest(db.db);

  const shops = new Map<string, ShopConfig>(config.shops.map((s) => [s.id, s]));
  const metrics = createMetrics(() => countByState(db.db));
  const http = createPlatformHttp();
  const tokens = createTokenCache(() => now().getTime(), TOKEN_SKEW_MS);
  const apiBases: Record<string, string> = { feishu: env.apiBase.feishu, local: '' };

  async function send(row: OutboxRow): Promise<SendResult> {
    const shop = shops.get(row.shopId);
    const adapter = adapterForChannel(row.channel);
    const cfg = shop ? (shop.channels as Record<string, unknown>)[row.channel] : undefined;
    if (!shop || !adapter || cfg === undefined) {
      return { ok: false, retry: 'never', reason: `shop ${row.shopId} has no ${row.channel} channel any more` };
    }
    const ctx: SendContext = { http, apiBase: apiBases[row.channel] ?? '', tokens, log, now: () => now().getTime() };
    return adapter.send(row.message, cfg, ctx);
  }

  const worker = createOutboxWorker({
    db: db.db, dialect: db.dialect, log, metrics, now: () => now().getTime(), random,
    maxAttempts: config.outbox.maxAttempts, send,
  });
  const batcher = createWriteBatcher(db.db);
  const app = createHttpApp({
    db: db.db, log, metrics, shops, batcher, playbooks, now, random, onCommitted: mode === 'off' ? () => undefined : () => worker.poke(),
  });

  const watcher = opts.watch === false ? null : watchPlaybooks(config.shops, playbooks, log, (shopId, problems) => {
    const at = now().getTime();
    void insertAlert(db.db, {
      shopId, kind: 'playbook_rejected', rule: null, conversationKey: null, customerId: null, transcript: [], at,
      text: `剧本修改未生效：${problems.length} 处错误，仍在使用上一个正确版本。第一处：${formatProblem(problems[0]!)}。请修正后保存，或运行 xiaoer check 查看全部。`,
    }).catch((err: unknown) => log.error({ err, shop: shopId }, 'could not record the playbook alert'));
  });

  let task: ScheduledTask | null = null;
  if (mode === 'auto') {
    task = cron.schedule(OUTBOX_TICK, () => worker.poke(), { noOverlap: true, name: 'outbox' });
    worker.poke(); // a restart resumes whatever was pending
  }
  let server: Server | null = null;

  return {
    app, db, worker, playbooks, metrics,
    async listen(port, host) {
      server = app.listen(port, host);
      await once(server, 'listening');
      return { server, port: (server.address() as AddressInfo).port };
    },
    async close() {
      watcher?.close();
      await task?.stop();
      if (server) {
        server.closeAllConnections();
        await new Promise<void>((r) => server!.close(() => r()));
      }
      await batcher.drain();
      await worker.idle();
      await db.close();
    },
  };
}
