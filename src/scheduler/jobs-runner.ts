import type { Logger } from 'pino';
import type { ShopConfig } from '../config/schema.js';
import { conversationForCustomer, saveConversationState } from '../db/conversations.js';
import { findCustomer } from '../db/customers.js';
import { customerBatchKey } from '../db/batch.js';
import type { WriteBatcher } from '../db/batch.js';
import type { Db, Dialect } from '../db/index.js';
import { claimDueJobs, deferJob, finishJob } from '../db/jobs.js';
import type { Job } from '../db/jobs.js';
import { getOrder } from '../db/orders.js';
import { deliverProactive, gate } from '../engine/proactive.js';
import { forOrder, runProactive } from '../orders/ingest.js';
import { noLongerApplies } from '../orders/still-applies.js';
import type { PlaybookStore } from '../playbook/store.js';
import { createTicker } from './ticker.js';

/** Jobs claimed per tick. */
export const JOB_BATCH = 200;
/** A claimed job not finished by then (the process died) is claimed again; its work is one transaction, so nothing doubles. */
export const JOB_LEASE_MS = 60_000;

export interface JobRunnerDeps {
  db: Db;
  /** Jobs of one claim share commits; a failing job is re-run alone (see createWriteBatcher). */
  batcher: WriteBatcher;
  dialect: Dialect;
  shops: ReadonlyMap<string, ShopConfig>;
  playbooks: PlaybookStore;
  log: Logger;
  now: () => number;
  random: () => number;
  /** Messages were queued: send them. */
  onQueued(): void;
}

/**
 * Follow-ups live in the jobs table; node-cron only ticks. Each due job runs in its own
 * transaction together with the outbox rows it queues (keyed by the job id), so a crash at any
 * point either did nothing (the lease expires and it runs again) or did everything once.
 */
export function createJobRunner(deps: JobRunnerDeps) {
  async function runJob(job: Job): Promise<number> {
    const now = deps.now();
    return deps.batcher.run(async (trx) => {
      const shop = deps.shops.get(job.shopId);
      if (!shop) {
        await finishJob(trx, job.id, 'skipped', 'shop no longer configured', now);
        return 0;
      }
      if (job.notAfter !== null && now > job.notAfter) {
        await finishJob(trx, job.id, 'skipped', `stale: due ${new Date(job.dueAt).toISOString()}, too late to send at ${new Date(now).toISOString()}`, now);
        return 0;
      }
      const customer = await findCustomer(trx, shop.id, job.customerChannel, job.customerUserId);
      if (!customer) {
        await finishJob(trx, job.id, 'skipped', 'customer unknown', now);
        return 0;
      }
      if (job.kind === 'message') {
        const moved = job.orderId ? await noLongerApplies(trx, deps.playbooks.get(shop.id), shop.id, job.rule, job.orderId) : null;
        if (moved) {
          await finishJob(trx, job.id, 'skipped', moved, now);
          return 0;
        }
        const g = await gate(trx, shop, customer, job.orderId, job.category, now);
        if (g.kind === 'defer') {
          await deferJob(trx, job.id, g.until, g.reason, now);
          return 0;
        }
        if (g.kind === 'skip') {
          await finishJob(trx, job.id, 'skipped', g.reason, now);
          return 0;
        }
        const conversation = await conversationForCustomer(trx, { shopId: shop.id, customerId: customer.id, channel: customer.channel, userId: customer.platformUserId, at: now });
        const queued = await deliverProactive(trx, { shop, customer, conversation, orderId: job.orderId, keyBase: `job:${job.id}` }, [{
          text: String(job.payload.text), rule: job.rule, response: String(job.payload.response ?? ''), variation: 0, category: job.category,
        }], now, true);
        // The held-back message asked the customer something: their next message is the answer from now on.
        if (queued.length && typeof job.payload.expect === 'string') {
          await saveConversationState(trx, conversation.id, { ...conversation.state, expecting: job.payload.expect }, job.rule, now);
        }
        await finishJob(trx, job.id, 'done', null, now);
        return queued.length;
      }
      const order = job.orderId ? await getOrder(trx, shop.id, job.orderId) : null;
      if (job.orderId && !order) {
        await finishJob(trx, job.id, 'skipped', `order ${job.orderId} not found`, now);
        return 0;
      }
      const subject = order ? forOrder(order) : { channel: customer.channel, userId: customer.platformUserId, name: customer.name, order: null };
      const r = await runProactive(trx, shop, deps.playbooks.get(shop.id), subject, { event: 'schedule', rule: job.rule }, `job:${job.id}`, now, deps.random);
      await finishJob(trx, job.id, 'done', r.fired.length ? null : `conditions no longer hold${order ? ` (order is ${order.state})` : ''}`, now);
      return r.queued.length;
    }, customerBatchKey(job.shopId, job.customerChannel, job.customerUserId));
  }

  async function runOnce(): Promise<{ claimed: number; queued: number }> {
    const jobs = await claimDueJobs(deps.db, deps.dialect, deps.now(), JOB_LEASE_MS, JOB_BATCH);
    const results = await Promise.all(jobs.map((job) => runJob(job).catch((err: unknown) => {
      // Left 'running': the lease expires and the job is tried again.
      deps.log.error({ err, job: job.id, shop: job.shopId, rule: job.rule }, 'follow-up failed; it will be retried when its lease expires');
      return 0;
    })));
    return { claimed: jobs.length, queued: results.reduce((a, b) => a + b, 0) };
  }

  const ticker = createTicker(async () => {
    const { claimed, queued } = await runOnce();
    if (queued) deps.onQueued();
    return { handled: claimed, more: claimed === JOB_BATCH };
  }, (err) => deps.log.error({ err }, 'job tick failed; due jobs stay queued'));

  return {
    /** Runs every job due now; resolves with the number claimed. */
    tick: ticker.tick,
    idle: ticker.idle,
  };
}

export type JobRunner = ReturnType<typeof createJobRunner>;
