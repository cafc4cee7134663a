import type Router from '@koa/router';
import type { Context } from 'koa';
import { adapterForChannel, adapterForPlatform } from '../../adapters/index.js';
import type { Adapter, AckResponse, Handled, RawRequest } from '../../adapters/types.js';
import type { KfConfig } from '../../adapters/wecom-kf/config.js';
import type { ShopConfig } from '../config/schema.js';
import { RequestError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import type { InboundMessage } from '../types/index.js';
import { readRawBody } from './raw-body.js';
import { answerRefused } from './refuse.js';

export interface WebhookDeps {
  shops: ReadonlyMap<string, ShopConfig>;
  metrics: Metrics;
  log: Logger;
  now: () => Date;
  /** The durable pipeline: store, decide, queue — resolves after the commit. */
  commit(message: InboundMessage, shop: ShopConfig): Promise<Handled & { outboxIds: number[] }>;
  /** 微信客服: fetch the announced messages (after the ack; they wait on the platform meanwhile). */
  pullKf(shop: ShopConfig, cfg: KfConfig, callbackToken: string): void;
  /** Called after a commit that queued replies, so the outbox sends them now rather than on the next tick. */
  onCommitted: () => void;
}

/**
 * POST /webhooks/:platform/:shop — verify, parse, commit, ack; GET — the platform's URL check.
 * The adapter decides nothing about replies; the engine never sees HTTP. Bad input is a 4xx
 * with a reason and writes nothing, never a 5xx.
 */
export function mountWebhooks(router: Router, deps: WebhookDeps): void {
  const route = (method: 'GET' | 'POST') => async (ctx: Context) => {
    const platform = String(ctx.params.platform);
    const started = process.hrtime.bigint();
    const label = adapterForPlatform(platform) ? platform : 'unknown';
    try {
      await (method === 'GET' ? handleGet(ctx, platform, deps) : handlePost(ctx, platform, deps));
      deps.metrics.webhooks.inc({ platform: label, outcome: 'ok' });
    } catch (err) {
      if (!(err instanceof RequestError)) throw err;
      deps.metrics.webhooks.inc({ platform: label, outcome: String(err.status) });
      deps.log.info({ platform, shop: ctx.params.shop, status: err.status, reason: err.message }, 'webhook refused');
      answerRefused(ctx, err);
    } finally {
      deps.metrics.handlerSeconds.observe({ platform: label }, Number(process.hrtime.bigint() - started) / 1e9);
    }
  };
  router.post('/webhooks/:platform/:shop', route('POST'));
  router.get('/webhooks/:platform/:shop', route('GET'));
}

function resolve(ctx: Context, platform: string, deps: WebhookDeps): { adapter: Adapter<unknown>; shop: ShopConfig; cfg: unknown } {
  const adapter = adapterForPlatform(platform);
  if (!adapter) throw new RequestError(404, `unknown platform "${platform}"`);
  const shop = deps.shops.get(String(ctx.params.shop));
  if (!shop) throw new RequestError(404, `unknown shop "${String(ctx.params.shop)}"`);
  const cfg = adapter.configOf(shop.channels);
  if (cfg === undefined) throw new RequestError(404, `shop "${shop.id}" has no ${adapter.channel} channel configured`);
  return { adapter, shop, cfg };
}

async function rawRequest(ctx: Context): Promise<RawRequest> {
  return {
    method: ctx.method,
    query: ctx.query as Record<string, string | undefined>,
    headers: ctx.headers as Record<string, string | undefined>,
    body: ctx.method === 'GET' ? Buffer.alloc(0) : await readRawBody(ctx),
  };
}

async function handleGet(ctx: Context, platform: string, deps: WebhookDeps): Promise<void> {
  const { adapter, cfg } = resolve(ctx, platform, deps);
  if (!adapter.verifyUrl) throw new RequestError(404, `${platform} has no URL check; it posts events to this URL`);
  respond(ctx, adapter.verifyUrl(await rawRequest(ctx), cfg, deps.now()));
}

async function handlePost(ctx: Context, platform: string, deps: WebhookDeps): Promise<void> {
  const { adapter, shop, cfg } = resolve(ctx, platform, deps);
  const now = deps.now();
  const verified = adapter.verify(await rawRequest(ctx), cfg, now);
  if (!verified.ok) throw new RequestError(verified.status, verified.reason);
  const parsed = adapter.parse(verified.payload, { shopId: shop.id, cfg, now });

  if (parsed.kind === 'challenge') return respond(ctx, parsed.response);
  if (parsed.kind === 'ignored') {
    deps.log.debug({ platform, shop: shop.id, reason: parsed.reason }, 'event ignored');
    return respond(ctx, adapter.ack([]));
  }
  if (parsed.kind === 'pull') {
    const kf = adapterForChannel('wecomKf')!.configOf(shop.channels) as KfConfig | undefined;
    if (!kf || kf.openKfId !== parsed.account) {
      deps.log.warn({ shop: shop.id, account: parsed.account }, '微信客服 callback for an account this shop has not configured (channels.wecomKf.openKfId)');
      return respond(ctx, adapter.ack([]));
    }
    deps.pullKf(shop, kf, parsed.token);
    return respond(ctx, adapter.ack([]));
  }
  const handled = await Promise.all(parsed.messages.map((m) => deps.commit(m, shop)));
  if (handled.some((h) => h.outboxIds.length > 0)) deps.onCommitted();
  respond(ctx, adapter.ack(handled));
}

function respond(ctx: Context, ack: AckResponse): void {
  ctx.status = ack.status;
  ctx.body = ack.body;
  if (typeof ack.body === 'string') ctx.type = 'text/plain';
}
