import Router from '@koa/router';
import Koa from 'koa';
import type { Db } from '../db/index.js';
import { ping } from '../db/index.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import { mountDesk } from './desk.js';
import type { DeskDeps } from './desk.js';
import { mountLocalInbox } from './local-inbox.js';
import { mountOrderEvents } from './orders.js';
import type { OrderRouteDeps } from './orders.js';
import { mountWebhooks } from './webhooks.js';
import type { WebhookDeps } from './webhooks.js';

export interface HttpDeps extends WebhookDeps {
  ingestOrder: OrderRouteDeps['ingest'];
  desk: Pick<DeskDeps, 'playbooks' | 'batcher' | 'media'>;
  db: Db;
  log: Logger;
  metrics: Metrics;
}

export function createHttpApp(deps: HttpDeps): Koa {
  const app = new Koa();
  app.proxy = true;
  app.silent = true;
  // Last line of defence: an unexpected error is logged with context and answered 500 without internals.
  app.use(async (ctx, next) => {
    try {
      await next();
    } catch (err) {
      deps.log.error({ err, method: ctx.method, path: ctx.path }, 'request failed');
      ctx.status = 500;
      ctx.body = { error: 'INTERNAL', reason: 'internal error; see the service log' };
    }
  });

  const router = new Router();
  router.get('/healthz', async (ctx) => {
    const ok = await ping(deps.db);
    ctx.status = ok ? 200 : 503;
    ctx.body = ok ? { status: 'ok' } : { status: 'unavailable', reason: 'database does not answer' };
  });
  router.get('/metrics', async (ctx) => {
    ctx.type = deps.metrics.registry.contentType;
    ctx.body = await deps.metrics.registry.metrics();
  });
  mountLocalInbox(router, deps);
  mountWebhooks(router, deps);
  mountDesk(router, { ...deps, ...deps.desk, onQueued: deps.onCommitted });
  mountOrderEvents(router, { ...deps, ingest: deps.ingestOrder });
  app.use(router.routes());
  app.use(router.allowedMethods());
  return app;
}
