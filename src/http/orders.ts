import type Router from '@koa/router';
import type { Context } from 'koa';
import { hmacSha256, safeEqual, withinWindow } from '../../adapters/shared/crypto.js';
import type { ShopConfig } from '../config/schema.js';
import { RequestError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import { orderEventSchema } from '../orders/event.js';
import type { OrderEvent } from '../orders/event.js';
import type { OrderOutcome } from '../orders/ingest.js';
import { readRawBody } from './raw-body.js';
import { answerRefused } from './refuse.js';

/** Signed order events older than this are refused as replays. */
export const ORDER_EVENT_WINDOW_MS = 5 * 60 * 1000;

/** `sha256=` + hex(HMAC-SHA256(secret, timestamp + "." + rawBody)) — what the shop's order system sends. */
export function orderEventSignature(secret: string, timestamp: string, body: Buffer): string {
  return `sha256=${hmacSha256(secret, Buffer.concat([Buffer.from(`${timestamp}.`), body])).toString('hex')}`;
}

export interface OrderRouteDeps {
  shops: ReadonlyMap<string, ShopConfig>;
  log: Logger;
  metrics: Metrics;
  now: () => Date;
  ingest(shop: ShopConfig, event: OrderEvent): Promise<OrderOutcome>;
}

/** POST /events/orders/:shop — 202 accepted (or recorded and ignored), 200 for a repeat, 400 naming the field, 401 unsigned. */
export function mountOrderEvents(router: Router, deps: OrderRouteDeps): void {
  router.post('/events/orders/:shop', async (ctx: Context) => {
    try {
      const shop = deps.shops.get(String(ctx.params.shop));
      if (!shop) throw new RequestError(404, `unknown shop "${String(ctx.params.shop)}"`);
      if (!shop.orderWebhookSecret) throw new RequestError(404, `order events are not enabled for shop "${shop.id}" (set orderWebhookSecret)`);
      const body = await readRawBody(ctx);
      const timestamp = ctx.get('x-xiaoer-timestamp');
      const signature = ctx.get('x-xiaoer-signature');
      if (!timestamp || !signature) throw new RequestError(401, 'missing X-Xiaoer-Timestamp or X-Xiaoer-Signature');
      if (!/^\d+$/.test(timestamp) || !withinWindow(Number(timestamp) * 1000, deps.now(), ORDER_EVENT_WINDOW_MS)) {
        throw new RequestError(401, 'X-Xiaoer-Timestamp outside the 5-minute window (replay or clock skew)');
      }
      if (!safeEqual(orderEventSignature(shop.orderWebhookSecret, timestamp, body), signature)) {
        throw new RequestError(401, 'X-Xiaoer-Signature does not match (check orderWebhookSecret)');
      }
      let json: unknown;
      try {
        json = JSON.parse(body.toString('utf8'));
      } catch {
        throw new RequestError(400, 'body is not JSON');
      }
      const parsed = orderEventSchema.safeParse(json);
      if (!parsed.success) {
        const issue = parsed.error.issues[0]!;
        const field = issue.code === 'unrecognized_keys' ? [...issue.path, issue.keys[0]].join('.') : issue.path.join('.');
        throw new RequestError(400, `${field || 'body'}: ${issue.code === 'unrecognized_keys' ? 'unknown field' : issue.message}`);
      }
      const outcome = await deps.ingest(shop, parsed.data);
      deps.metrics.webhooks.inc({ platform: 'orders', outcome: outcome.status });
      ctx.status = outcome.status === 'duplicate' ? 200 : 202;
      ctx.body = outcome.status === 'applied'
        ? {
          status: 'accepted', rules: outcome.fired,
          // What the rules chose but did not send now, so the sender (and xiaoer simulate) can say why.
          held: outcome.held.map((h) => ({ rule: h.rule, reason: h.reason, ...(h.until !== undefined ? { until: new Date(h.until).toISOString() } : {}) })),
        }
        : outcome;
    } catch (err) {
      if (!(err instanceof RequestError)) throw err;
      deps.metrics.webhooks.inc({ platform: 'orders', outcome: String(err.status) });
      deps.log.info({ shop: ctx.params.shop, status: err.status, reason: err.message }, 'order event refused');
      answerRefused(ctx, err);
    }
  });
}
