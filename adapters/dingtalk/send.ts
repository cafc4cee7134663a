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

/**
 * A picture or file a customer sent the robot, for staff at the desk: its downloadCode is
 * exchanged for a short-lived download URL (with the app's token, fetched again once if
 * refused), which is then read like any file.
 * https://open.dingtalk.com/document/orgapp/download-the-file-content-of-the-robot-receiving-message
 */
export async function fetchDingtalkMedia(ref: MediaRef, cfg: DingtalkConfig, ctx: SendContext): Promise<MediaResult> {
  const key = `dingtalk:${cfg.appKey}`;
  const exchange = (token: string) => ctx.http.post<{ downloadUrl?: string; code?: string; message?: string }>(
    `${openApi(ctx)}/v1.0/robot/messageFiles/download`, { downloadCode: ref.key, robotCode: cfg.robotCode },
    { headers: { 'x-acs-dingtalk-access-token': token } });
  try {
    let token = await ctx.tokens.get(key, () => fetchDingtalkToken(cfg, ctx));
    let res = await exchange(token);
    if (res.status === 401 || res.status === 403) {
      ctx.tokens.invalidate(key, token);
      token = await ctx.tokens.get(key, () => fetchDingtalkToken(cfg, ctx));
      res = await exchange(token);
    }
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
