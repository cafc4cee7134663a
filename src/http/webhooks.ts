import type Router from '@koa/router';
import type { Context } from 'koa';
import { adapterForPlatform } from '../../adapters/index.js';
import type { Handled, RawRequest } from '../../adapters/types.js';
import type { ShopConfig } from '../config/schema.js';
import type { WriteBatcher } from '../db/batch.js';
import { isUniqueViolation } from '../db/messages.js';
import { RequestError } from '../errors.js';
import { ingest } from '../engine/ingest.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import type { PlaybookStore } from '../playbook/store.js';
import type { InboundMessage } from '../types/index.js';
import { readRawBody } from './raw-body.js';

export interface WebhookDeps {
  shops: ReadonlyMap<string, ShopConfig>;
  batcher: WriteBatcher;
  playbooks: PlaybookStore;
  metrics: Metrics;
  log: Logger;
  now: () => Date;
  random: () => number;
  /** Called after a commit that queued replies, so the outbox sends them now rather than on the next tick. */
  onCommitted: () => void;
}

/**
 * POST /webhooks/:platform/:shop — verify, parse, commit, ack. The adapter decides nothing
 * about replies; the engine never sees HTTP. Bad input is a 4xx with a reason, never a 5xx.
 */
export function mountWebhooks(router: Router, deps: WebhookDeps): void {
  router.post('/webhooks/:platform/:shop', async (ctx) => {
    const platform = String(ctx.params.platform);
    const started = process.hrtime.bigint();
    const label = adapterForPlatform(platform) ? platform : 'unknown';
    try {
      await handle(ctx, platform, deps);
      deps.metrics.webhooks.inc({ platform: label, outcome: 'ok' });
    } catch (err) {
      if (!(err instanceof RequestError)) throw err;
      deps.metrics.webhooks.inc({ platform: label, outcome: String(err.status) });
      deps.log.info({ platform, shop: ctx.params.shop, status: err.status, reason: err.message }, 'webhook refused');
      ctx.status = err.status;
      ctx.body = { error: err.code, reason: err.message };
    } finally {
      deps.metrics.handlerSeconds.observe({ platform: label }, Number(process.hrtime.bigint() - started) / 1e9);
    }
  });
}

async function handle(ctx: Context, platform: string, deps: WebhookDeps): Promise<void> {
  const found = adapterForPlatform(platform);
  if (!found) throw new RequestError(404, `unknown platform "${platform}"`);
  const shop = deps.shops.get(String(ctx.params.shop));
  if (!shop) throw new RequestError(404, `unknown shop "${String(ctx.params.shop)}"`);
  const cfg = (shop.channels as Record<string, unknown>)[found.channel];
  if (cfg === undefined) throw new RequestError(404, `shop "${shop.id}" has no ${found.channel} channel configured`);

  const req: RawRequest = {
    method: ctx.method,
    query: ctx.query as Record<string, string | undefined>,
    headers: ctx.headers as Record<string, string | undefined>,
    body: await readRawBody(ctx),
  };
  const now = deps.now();
  const { adapter } = found;
  const verified = adapter.verify(req, cfg, now);
  if (!verified.ok) throw new RequestError(verified.status, verified.reason);
  const parsed = adapter.parse(verified.payload, { shopId: shop.id, cfg, now });

  if (parsed.kind === 'challenge') return respond(ctx, parsed.response);
  if (parsed.kind === 'ignored') {
    deps.log.debug({ platform, shop: shop.id, reason: parsed.reason }, 'event ignored');
    return respond(ctx, adapter.ack([]));
  }
  const handled = await Promise.all(parsed.messages.map((m) => commit(m, shop, deps)));
  if (handled.some((h) => h.replies.length > 0)) deps.onCommitted();
  respond(ctx, adapter.ack(handled));
}

async function commit(message: InboundMessage, shop: ShopConfig, deps: WebhookDeps): Promise<Handled> {
  const playbook = deps.playbooks.get(shop.id);
  try {
    const result = await deps.batcher.run((trx) => ingest(trx, message, { shop, playbook, random: deps.random }));
    const understood = { intent: result.understood.intent, bargainer: result.understood.intent === 'bargain' ? result.understood.type : null };
    if (result.handoff) deps.log.info({ shop: shop.id, conversation: message.conversationKey, reason: result.handoff.reason }, 'conversation handed to a person');
    return { message, duplicate: result.duplicate, replies: result.replies, understood };
  } catch (err) {
    // Two instances took the same redelivery at once: the unique index let one win.
    if (isUniqueViolation(err)) return { message, duplicate: true, replies: [], understood: { intent: null, bargainer: null } };
    throw err;
  }
}

function respond(ctx: Context, ack: { status: number; body: string | Record<string, unknown> }): void {
  ctx.status = ack.status;
  ctx.body = ack.body;
}
