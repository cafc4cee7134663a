import getRawBody from 'raw-body';
import type { Context } from 'koa';
import { RequestError } from '../errors.js';

/** Platforms send small JSON/XML events; anything bigger is not a platform. */
export const MAX_BODY_BYTES = 1024 * 1024;

/**
 * Reads the body as bytes. koa-bodyparser hands over a decoded string, and signatures are
 * over the exact bytes received, so webhooks read with raw-body (the library under
 * koa-bodyparser's co-body) and each adapter parses JSON/XML itself after verifying.
 */
export async function readRawBody(ctx: Context): Promise<Buffer> {
  try {
    return await getRawBody(ctx.req, { limit: MAX_BODY_BYTES, length: ctx.get('content-length') || undefined });
  } catch (err) {
    const type = (err as { type?: string }).type;
    if (type === 'entity.too.large') throw new RequestError(413, `body larger than ${MAX_BODY_BYTES} bytes`, { cause: err });
    throw new RequestError(400, 'could not read request body', { cause: err });
  }
}

/** A JSON body of a staff tool (the desk): 415 without the JSON type, 400 when it does not parse; `example` shows what to send. */
export async function readJsonBody(ctx: Context, example: string): Promise<unknown> {
  if (!ctx.is('application/json')) throw new RequestError(415, `send JSON: ${example}`);
  const raw = await readRawBody(ctx);
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch {
    throw new RequestError(400, 'body is not JSON');
  }
}
