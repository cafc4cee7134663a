import type { OutboundMessage, SendResult } from '../../src/types/index.js';
import { classifyHttpStatus, classifyThrown } from '../shared/http.js';
import type { SendContext } from '../types.js';
import type { DingtalkConfig } from './config.js';

/** 130101: robot sending too fast (20 messages/minute); the robot is throttled, so wait. */
const RATE_LIMIT_CODES = new Set([130101, 660026]);

/**
 * Replies go to the message's sessionWebhook before it expires. Only a webhook on the
 * configured DingTalk API origin is followed: a signed payload is no licence to call any URL.
 * https://open.dingtalk.com/document/orgapp/robot-reply-and-send-messages
 */
export async function sendDingtalk(msg: OutboundMessage, _cfg: DingtalkConfig, ctx: SendContext): Promise<SendResult> {
  const hook = typeof msg.replyContext.sessionWebhook === 'string' ? msg.replyContext.sessionWebhook : null;
  if (!hook) return { ok: false, retry: 'skip', reason: 'no sessionWebhook to answer through (proactive DingTalk messages are not supported yet)' };
  let url: URL;
  try {
    url = new URL(hook);
  } catch {
    return { ok: false, retry: 'never', reason: 'sessionWebhook is not a URL' };
  }
  if (url.origin !== new URL(ctx.apiBase).origin) return { ok: false, retry: 'never', reason: `sessionWebhook origin ${url.origin} is not the DingTalk API (${ctx.apiBase})` };
  const expires = Number(msg.replyContext.sessionWebhookExpiredTime ?? 0);
  if (expires && ctx.now() >= expires) return { ok: false, retry: 'skip', reason: 'sessionWebhook expired before the reply could be sent' };
  const atStaffId = typeof msg.replyContext.atStaffId === 'string' ? msg.replyContext.atStaffId : null;
  try {
    const res = await ctx.http.post<{ errcode?: number; errmsg?: string }>(url.toString(), {
      msgtype: 'text',
      text: { content: msg.text },
      ...(atStaffId ? { at: { atUserIds: [atStaffId], isAtAll: false } } : {}),
    });
    const body = res.data ?? {};
    if (res.status === 200 && (body.errcode ?? 0) === 0) return { ok: true };
    const http = classifyHttpStatus(res);
    if (http) return http;
    const reason = `DingTalk errcode ${String(body.errcode)}: ${body.errmsg ?? 'unknown'}`;
    return { ok: false, retry: RATE_LIMIT_CODES.has(body.errcode ?? 0) ? 'backoff' : 'never', reason };
  } catch (err) {
    return classifyThrown(err);
  }
}
