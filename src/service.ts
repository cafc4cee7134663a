import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import cron from 'node-cron';
import type { ScheduledTask } from 'node-cron';
import { adapterForChannel } from '../adapters/index.js';
import { createPlatformHttp } from '../adapters/shared/http.js';
import { createTokenCache } from '../adapters/shared/token-cache.js';
import type { SendContext } from '../adapters/types.js';
import { platformBases } from './config/env.js';
import type { EnvOptions } from './config/env.js';
import type { AppConfig, ShopConfig } from './config/schema.js';
import { countUndeliveredAlerts, hasRecentAlert, insertAlert } from './db/alerts.js';
import { countWithPerson, longestWaits } from './db/waiting.js';
import { withSharedLock } from './db/locks.js';
import { createWriteBatcher, customerBatchKey, MAX_BATCH } from './db/batch.js';
import { migrateToLatest, openDb, PG_WRITE_LANES } from './db/index.js';
import type { DbHandle } from './db/index.js';
import { countByState, countSentSince, markUndelivered } from './db/outbox.js';
import type { OutboxRow } from './db/outbox.js';
import { createSendLimiter, recipientRateKey } from './db/send-rates.js';
import { createKfPuller } from './engine/kf-puller.js';
import { afterFailedTransfer, applyServicerAction, holdForPerson } from './engine/kf-servicer.js';
import { outsideWindow } from './engine/proactive.js';
import type { KfPuller } from './engine/kf-puller.js';
import { warmSuggestions } from './engine/suggest.js';
import { formatProblem } from './errors.js';
import { createHttpApp } from './http/server.js';
import type { Logger } from './log.js';
import { createMetrics } from './metrics.js';
import type { Metrics } from './metrics.js';
import { createPipeline } from './pipeline.js';
import { createPlaybookStore } from './playbook/store.js';
import { noLongerApplies } from './orders/still-applies.js';
import type { PlaybookStore } from './playbook/store.js';
import { watchPlaybooks } from './playbook/watch.js';
import { createAlertWorker } from './scheduler/alert-worker.js';
import type { AlertWorker } from './scheduler/alert-worker.js';
import { createHandoffReminder } from './scheduler/handoff-reminder.js';
import type { HandoffReminder } from './scheduler/handoff-reminder.js';
import { createJobRunner } from './scheduler/jobs-runner.js';
import type { JobRunner } from './scheduler/jobs-runner.js';
import { ingestOrderEvent } from './orders/ingest.js';
import { createOutboxWorker } from './scheduler/outbox-worker.js';
import { createRetention } from './scheduler/retention.js';
import { createWeeklyReport } from './scheduler/weekly-report.js';
import type { WeeklyReport } from './scheduler/weekly-report.js';
import type { Retention } from './scheduler/retention.js';
import type { OutboxWorker } from './scheduler/outbox-worker.js';
import type { Channel, SendResult } from './types/index.js';

/** node-cron is only the clock: every second it runs due follow-ups and asks the outbox and alerts to send. */
export const OUTBOX_TICK = '* * * * * *';
/** A little slack before a token's own expiry for clock skew between us and the platform. */
const TOKEN_SKEW_MS = 60_000;
/** The same rejected playbook edit is not alerted again within this long (saved twice, or seen by every instance). */
const PLAYBOOK_ALERT_REPEAT_MS = 10 * 60_000;

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
  readonly alerts: AlertWorker;
  readonly kf: KfPuller;
  readonly jobs: JobRunner;
  readonly handoffs: HandoffReminder;
  readonly weekly: WeeklyReport;
  readonly retention: Retention;
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
  // The 您是想问 index is built after a load, not on the first miss (a start or an edit is not a customer waiting).
  const playbooks = createPlaybookStore(config.shops, log, (_shop, playbook) => setImmediate(() => warmSuggestions(playbook)));
  const db = openDb(env.databaseUrl);
  await migrateToLatest(db.db);

  const shops = new Map<string, ShopConfig>(config.shops.map((s) => [s.id, s]));
  // Every configured shop, 0 included: an alert rule on a gauge should see the queue empty, not vanish.
  const everyShopAt0 = () => Object.fromEntries(config.shops.map((s) => [s.id, 0]));
  const metrics = createMetrics({
    outboxCounts: () => countByState(db.db), openAlertCounts: () => countUndeliveredAlerts(db.db),
    // Every configured shop, 0 included: an alert rule on it should see the queue empty, not vanish.
    withPersonCounts: async () => ({ ...everyShopAt0(), ...(await countWithPerson(db.db, now().getTime())) }),
    longestWaitSeconds: async () => ({
      ...everyShopAt0(), ...Object.fromEntries(Object.entries(await longestWaits(db.db, now().getTime())).map(([shop, ms]) => [shop, Math.floor(ms / 1000)])),
    }),
  });
  const http = createPlatformHttp();
  const tokens = createTokenCache(() => now().getTime(), TOKEN_SKEW_MS);
  const sendContext = (channel: Channel): SendContext => ({ http, ...platformBases(env, channel), tokens, log, now: () => now().getTime() });

  async function send(row: OutboxRow): Promise<SendResult> {
    const shop = shops.get(row.shopId);
    const adapter = adapterForChannel(row.channel);
    const cfg = shop && adapter ? adapter.configOf(shop.channels) : undefined;
    if (!shop || !adapter || cfg === undefined) {
      return { ok: false, retry: 'never', reason: `shop ${row.shopId} has no ${row.channel} channel any more` };
    }
    return adapter.send(row.message, cfg, sendContext(row.channel as Channel));
  }

  /** Platform reply rules (微信客服: 48 h after the customer's message, at most 5 replies to it). */
  async function policy(row: OutboxRow): Promise<string | null> {
    // A retried or throttled 催付 whose order was paid meanwhile stays unsent (domain.md §11).
    if (row.message.proactive && row.message.orderId && shops.has(row.shopId)) {
      const moved = await noLongerApplies(db.db, playbooks.get(row.shopId), row.shopId, row.message.rule, row.message.orderId);
      if (moved) return moved;
    }
    const limits = adapterForChannel(row.channel)?.limits;
    const inboundAt = Number(row.message.replyContext.inboundAt ?? NaN);
    if (!limits || !Number.isFinite(inboundAt)) return null;
    if (limits.windowMs !== undefined && now().getTime() - inboundAt > limits.windowMs) {
      return outsideWindow(limits.windowMs);
    }
    if (limits.perInbound !== undefined && !row.message.action // a transfer is not a reply
      && (await countSentSince(db.db, row.shopId, row.message.conversationKey, inboundAt)) >= limits.perInbound) {
      return `the platform allows ${limits.perInbound} replies per customer message`;
    }
    return null;
  }

  const batcher = createWriteBatcher(db.db, MAX_BATCH, db.dialect === 'postgres' ? PG_WRITE_LANES : 1);
  const sendLimit = createSendLimiter(db.db, db.dialect, () => now().getTime());
  async function throttle(row: OutboxRow): Promise<number> {
    const limits = adapterForChannel(row.channel)?.limits;
    if (!limits?.perApp && !limits?.perRecipient) return 0;
    return sendLimit([
      ...(limits.perApp ? [{ key: `${row.shopId}:${row.channel}`, rate: limits.perApp }] : []),
      ...(limits.perRecipient ? [{ key: recipientRateKey(row.shopId, row.channel, row.message.conversationKey), rate: limits.perRecipient }] : []),
    ]);
  }

  const alerts = createAlertWorker({ db: db.db, dialect: db.dialect, log, metrics, http, shops, now: () => now().getTime(), wecomBase: env.apiBase.wecom, random });
  /** Staff hear of every reply a customer did not get (and of a transfer that did not happen). */
  async function alertDeadLetter(row: OutboxRow, reason: string, personHasSession = false): Promise<void> {
    await insertAlert(db.db, {
      shopId: row.shopId, kind: 'dead_letter', rule: row.message.rule, conversationKey: row.message.conversationKey,
      customerId: row.message.customerId, transcript: [{ who: 'bot', text: row.message.text }], at: now().getTime(),
      text: row.message.action?.kind === 'kfEndSession'
        ? `结束会话失败：顾客 ${row.message.customerId}（${row.channel}）已交还机器人，但微信客服会话没能结束（${reason}）。`
          + (personHasSession
            ? '会话结束前机器人无法回复这位顾客，已在此会话静默：请在企业微信客户端接入该顾客并结束会话，或直接在客户端回复。'
            : '如果有接待人员在接待，机器人的回复会被拒收：请在企业微信客户端结束该会话，并检查该渠道的凭证和平台状态。')
        : row.message.action
        ? `转接失败：顾客 ${row.message.customerId}（${row.channel}）没能转给人工（${reason}）。会话仍由机器人账号接待：${shops.get(row.shopId)?.desk ? `请在接待台 /desk/${row.shopId} 回复，` : ''}也可以在企业微信客户端手动接入该顾客。`
        : personHasSession
        ? `消息未送达：给顾客 ${row.message.customerId}（${row.channel}）的回复没有送达（${reason}）。平台显示有接待人员在接待这位顾客，机器人已在此会话静默；如果其实没有人在接待，请检查该客服账号的接待方式，并人工联系顾客。`
        : `消息发送失败：给顾客 ${row.message.customerId}（${row.channel}）的回复没有送达（${reason}）。请人工联系顾客，并检查该渠道的凭证和平台状态。`,
    });
    alerts.poke();
  }
  const worker = createOutboxWorker({
    db: db.db, dialect: db.dialect, log, metrics, now: () => now().getTime(), random,
    maxAttempts: config.outbox.maxAttempts, send, policy, throttle, batcher,
    async onDead(row, reason, personHasSession) {
      const at = now().getTime();
      if (personHasSession) await batcher.run((trx) => holdForPerson(trx, row.shopId, row.message.conversationKey, at));
      if (row.message.action?.kind === 'kfTransfer') {
        const until = at + playbooks.get(row.shopId).settings.handoff.silenceMinutes * 60_000;
        await batcher.run((trx) => afterFailedTransfer(trx, row.shopId, row.message.conversationKey, until, at));
      }
      await alertDeadLetter(row, reason, personHasSession);
    },
  });
  const commit = createPipeline({ batcher, playbooks, log, metrics, random });
  /** After a commit that may have queued replies or alerts: send them now, not on the next tick. */
  const wake = mode === 'off' ? () => undefined : () => {
    worker.poke();
    alerts.poke();
  };
  const kf = createKfPuller({
    db: db.db, dialect: db.dialect, log, now, sendContext: () => sendContext('wecomKf'),
    commit: (m) => commit(m, shops.get(m.shopId)!),
    servicer: (shopId, action) => batcher.run(
      (trx) => applyServicerAction(trx, shops.get(shopId)!, playbooks.get(shopId), action, now().getTime()),
      customerBatchKey(shopId, 'wecomKf', action.customerId),
    ),
    async sendFailed(shopId, failure) {
      const row = await batcher.run((trx) => markUndelivered(trx, shopId, failure.msgid, failure.reason, now().getTime()));
      if (!row) return; // not ours (sent from the WeCom client) or already recorded
      metrics.sends.inc({ channel: row.channel, outcome: 'dead' });
      log.error({ shop: shopId, outbox: row.id, message: row.messageId, channel: row.channel, reason: failure.reason },
        'message dead-lettered: the platform accepted it but could not deliver it');
      await alertDeadLetter(row, failure.reason);
    },
    sendNow: (ids) => (mode === 'off' ? undefined : worker.sendNow(ids)),
    poke: wake,
  });
  const jobs = createJobRunner({
    db: db.db, batcher, dialect: db.dialect, shops, playbooks, log, now: () => now().getTime(), random,
    onQueued: wake,
  });
  const retention = createRetention({
    db: db.db, dialect: db.dialect, days: config.retention?.days ?? null, log, metrics, now: () => now().getTime(),
  });
  const handoffs = createHandoffReminder({
    db: db.db, dialect: db.dialect, shops, playbooks, log, now: () => now().getTime(), onAlert: () => alerts.poke(),
  });
  const weekly = createWeeklyReport({
    db: db.db, dialect: db.dialect, shops, playbooks, log, now: () => now().getTime(), onAlert: () => alerts.poke(),
  });
  const app = createHttpApp({
    db: db.db, log, metrics, shops, now, commit,
    async ingestOrder(shop, event) {
      const { channel, userId } = event.order.customer;
      const outcome = await batcher.run(
        (trx) => ingestOrderEvent(trx, shop, playbooks.get(shop.id), event, now().getTime(), random), customerBatchKey(shop.id, channel, userId),
      );
      wake();
      return outcome;
    },
    pullKf: (shop, cfg, token) => void kf.pull(shop.id, cfg, token),
    onCommitted: wake,
    desk: {
      playbooks, batcher,
      media: {
        of: (channel, raw) => adapterForChannel(channel)?.mediaOf?.(raw) ?? [],
        async fetch(shop, channel, ref) {
          const adapter = adapterForChannel(channel);
          const cfg = adapter?.configOf(shop.channels);
          if (!adapter?.fetchMedia || cfg === undefined) return { ok: false, status: 404, reason: `shop ${shop.id} has no ${channel} channel to fetch it from` };
          return adapter.fetchMedia(ref, cfg, sendContext(channel as Channel));
        },
      },
    },
  });

  const watcher = opts.watch === false ? null : watchPlaybooks(config.shops, playbooks, log, (shopId, problems) => {
    const at = now().getTime();
    const alert = {
      shopId, kind: 'playbook_rejected' as const, rule: null, conversationKey: null, customerId: null, transcript: [], at,
      text: `剧本修改未生效：${problems.length} 处错误，仍在使用上一个正确版本。第一处：${formatProblem(problems[0]!)}。请修正后保存，或运行 xiaoer check 查看全部。`,
    };
    // Under a shared lock, so instances that all saw the same broken file record it once between them.
    void withSharedLock(db.db, db.dialect, `xiaoer:playbook-alert:${shopId}`, async () => {
      if (await hasRecentAlert(db.db, alert, at - PLAYBOOK_ALERT_REPEAT_MS)) return false;
      await insertAlert(db.db, alert);
      return true;
    }).then((recorded) => recorded && alerts.poke(), (err: unknown) => log.error({ err, shop: shopId }, 'could not record the playbook alert'));
  });

  let task: ScheduledTask | null = null;
  if (mode === 'auto') {
    task = cron.schedule(OUTBOX_TICK, () => {
      void jobs.tick();
      void handoffs.tick();
      void weekly.tick();
      void retention.tick();
      wake();
    }, { noOverlap: true, name: 'xiaoer-tick' });
    worker.poke(); // a restart resumes whatever was pending
  }
  let server: Server | null = null;

  return {
    app, db, worker, alerts, kf, jobs, handoffs, weekly, retention, playbooks, metrics,
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
      await kf.idle();
      await jobs.idle();
      await handoffs.idle();
      await weekly.idle();
      await retention.stop();
      await batcher.drain();
      await worker.idle();
      await alerts.idle();
      await db.close();
    },
  };
}
