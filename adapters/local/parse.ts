import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { RequestError } from '../../src/errors.js';
import type { Parsed } from '../types.js';
import type { LocalConfig } from './config.js';

/** Longest text accepted; longer is almost certainly not a customer typing. */
export const LOCAL_MAX_TEXT = 2000;

const bodySchema = z.strictObject({
  user: z.string().trim().min(1).max(128),
  text: z.string().trim().min(1).max(LOCAL_MAX_TEXT),
  name: z.string().trim().min(1).max(64).optional(),
  /** Client message id: send it to make retries safe (the same id is answered once). */
  id: z.string().trim().min(1).max(128).optional(),
});

export function parseLocal(payload: unknown, ctx: { shopId: string; cfg: LocalConfig; now: Date }): Parsed {
  const parsed = bodySchema.safeParse(payload);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = issue.path.join('.') || (issue.code === 'unrecognized_keys' ? issue.keys.join(', ') : 'body');
    throw new RequestError(400, `${field}: ${issue.message} (expected {"user":"u1","text":"你好"})`);
  }
  const b = parsed.data;
  return {
    kind: 'messages',
    messages: [{
      shopId: ctx.shopId,
      channel: 'local',
      platformMessageId: b.id ?? randomUUID(),
      deliveryId: null,
      customerId: b.user,
      customerName: b.name ?? null,
      conversationKey: `local:${b.user}:${b.user}`,
      text: b.text,
      kind: 'text',
      receivedAt: ctx.now,
      replyContext: {},
      raw: payload,
    }],
  };
}
