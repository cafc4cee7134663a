import type { OutboundMessage, SendResult } from '../../src/types/index.js';
import { classifyHttpStatus, classifyThrown } from '../shared/http.js';
import { MEDIA_REQUEST, mediaAnswer, mediaThrown } from '../shared/media.js';
import { tokenExpiresAt } from '../shared/token-cache.js';
import type { Token } from '../shared/token-cache.js';
import type { MediaRef, MediaResult, SendContext } from '../types.js';
import { DINGTALK_DEFAULT_OPENAPI_BASE } from './config.js';
import type { DingtalkConfig } from './config.js';

/** 130101: robot sending too fast (20 messages/minute); the robot is throttled, so wait. */
const RATE_LIMIT_CODES = new Set([130101, 660026]);

/** The robot API's plain-text message template. */
const TEXT_TEMPLATE = 'sampleText';

/**
 * A reply goes to the message's sessionWebhook while it lasts (about 90 minutes). Only a webhook
 * on the configured DingTalk API origin is followed: a signed payload is no licence to call any
 * URL. Without one — a follow-up days later, a person answering from the desk after the webhook
 * expired — the robot's own API sends it, with the app's access token.
 * https://open.dingtalk.com/document/orgapp/robot-reply-and-send-messages
 */
export async function sendDingtalk(msg: OutboundMessage, cfg: DingtalkConfig, ctx: SendContext): Promise<SendResult> {
  const hook = typeof msg.replyContext.sessionWebhook === 'string' ? msg.replyContext.sessionWebhook : null;
  const expires = Number(msg.replyContext.sessionWebhookExpiredTime ?? 0);
  if (!hook || (expires && ctx.now() >= expires)) return sendByRobotApi(msg, cfg, ctx);
  let url: URL;
  try {
    url = new URL(hook);
  } catch {
    return { ok: false, retry: 'never', reason: 'sessionWebhook is not a URL' };
  }
  if (url.origin !== new URL(ctx.apiBase).origin) return { ok: false, retry: 'never', reason: `sessionWebhook origin ${url.origin} is not the DingTalk API (${ctx.apiBase})` };
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

interface RobotApiReply {
  processQueryKey?: string;
  invalidStaffIdList?: string[];
  flowControlledStaffIdList?: string[];
  code?: string;
  message?: string;
}

/**
 * The robot's own API: a reply in a group goes to the group (openConversationId); anything else
 * — and every proactive message, which is the customer's alone — to the customer's one-on-one
 * chat with the robot (their staff id). The API takes no idempotency key, so a send that timed
 * out and is retried may arrive twice.
 * https://open.dingtalk.com/document/orgapp/chatbots-send-one-on-one-chat-messages-in-batches
 * https://open.dingtalk.com/document/orgapp/the-robot-sends-a-group-message
 */
async function sendByRobotApi(msg: OutboundMessage, cfg: DingtalkConfig, ctx: SendContext): Promise<SendResult> {
  const group = !msg.proactive && typeof msg.replyContext.openConversationId === 'string' ? msg.replyContext.openConversationId : null;
  const body = {
    robotCode: cfg.robotCode, msgKey: TEXT_TEMPLATE, msgParam: JSON.stringify({ content: msg.text }),
    ...(group ? { openConversationId: group } : { userIds: [msg.customerId] }),
  };
  try {
    const res = await postWithToken<RobotApiReply>(`/v1.0/robot/${group ? 'groupMessages/send' : 'oToMessages/batchSend'}`, body, cfg, ctx);
    const reply = res.data ?? {};
    if (res.status === 200) {
      if (reply.invalidStaffIdList?.includes(msg.customerId)) {
        return { ok: false, retry: 'never', reason: `DingTalk cannot message ${msg.customerId} one-on-one (not a member of the organisation the robot can reach)` };
      }
      if (reply.flowControlledStaffIdList?.includes(msg.customerId)) return { ok: false, retry: 'backoff', reason: 'DingTalk flow control for this customer' };
      return { ok: true, ...(reply.processQueryKey ? { platformId: reply.processQueryKey } : {}) };
    }
    const http = classifyHttpStatus(res);
    if (http) return http;
    return { ok: false, retry: 'never', reason: `DingTalk robot API HTTP ${res.status} ${reply.code ?? ''}: ${reply.message ?? 'unknown'}` };
  } catch (err) {
    return classifyThrown(err);
  }
}

/** An access token lasts 7200 s; fetch a new one 5 minutes before. */
const TOKEN_REFRESH_BEFORE_MS = 5 * 60 * 1000;

// https://open.dingtalk.com/document/orgapp/obtain-the-access_token-of-an-internal-app
export async function fetchDingtalkToken(cfg: DingtalkConfig, ctx: SendContext): Promise<Token> {
  const res = await ctx.http.post<{ accessToken?: string; expireIn?: number; code?: string; message?: string }>(
    `${openApi(ctx)}/v1.0/oauth2/accessToken`, { appKey: cfg.appKey, appSecret: cfg.appSecret });
  const body = res.data ?? {};
  if (res.status !== 200 || !body.accessToken || !body.expireIn) {
    throw new Error(`DingTalk accessToken: HTTP ${res.status} ${body.code ?? ''} ${body.message ?? ''} (check appKey/appSecret)`);
  }
  return { value: body.accessToken, expiresAt: tokenExpiresAt(ctx.now(), body.expireIn * 1000, TOKEN_REFRESH_BEFORE_MS) };
}

function openApi(ctx: SendContext): string {
  return ctx.openApiBase ?? DINGTALK_DEFAULT_OPENAPI_BASE;
}

/** A call to DingTalk's OpenAPI with the app's access token (cached; fetched again once when refused). */
async function postWithToken<R>(path: string, body: unknown, cfg: DingtalkConfig, ctx: SendContext) {
  const key = `dingtalk:${cfg.appKey}`;
  const post = (token: string) => ctx.http.post<R>(`${openApi(ctx)}${path}`, body, { headers: { 'x-acs-dingtalk-access-token': token } });
  const token = await ctx.tokens.get(key, () => fetchDingtalkToken(cfg, ctx));
  const res = await post(token);
  if (res.status !== 401 && res.status !== 403) return res;
  ctx.tokens.invalidate(key, token);
  return post(await ctx.tokens.get(key, () => fetchDingtalkToken(cfg, ctx)));
}

/**
 * A picture or file a customer sent the robot, for staff at the desk: its downloadCode is
 * exchanged for a short-lived download URL (with the app's token, fetched again once if
 * refused), which is then read like any file.
 * https://open.dingtalk.com/document/orgapp/download-the-file-content-of-the-robot-receiving-message
 */
export async function fetchDingtalkMedia(ref: MediaRef, cfg: DingtalkConfig, ctx: SendContext): Promise<MediaResult> {
  try {
    const res = await postWithToken<{ downloadUrl?: string; code?: string; message?: string }>(
      '/v1.0/robot/messageFiles/download', { downloadCode: ref.key, robotCode: cfg.robotCode }, cfg, ctx);
    const url = res.data?.downloadUrl;
    if (res.status !== 200 || typeof url !== 'string' || !url) {
      const why = `${res.data?.code ?? `HTTP ${res.status}`}: ${res.data?.message ?? 'no downloadUrl'}`;
      // A 4xx here is the code's fault (wrong, or expired); a 5xx the platform's.
      return { ok: false, status: res.status >= 400 && res.status < 500 ? 404 : 502, reason: `DingTalk did not exchange the downloadCode (${why})` };
    }
    return mediaAnswer(await ctx.http.get<ArrayBuffer>(url, MEDIA_REQUEST), () => false);
  } catch (err) {
    return mediaThrown(err);
  }
}
