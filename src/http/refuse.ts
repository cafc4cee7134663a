import type { Context } from 'koa';
import type { RequestError } from '../errors.js';

/** Every refused request is answered the same way: its 4xx, any header it needs, `{error, reason}`. */
export function answerRefused(ctx: Context, err: RequestError): void {
  ctx.status = err.status;
  ctx.set(err.headers);
  ctx.body = { error: err.code, reason: err.message };
}
