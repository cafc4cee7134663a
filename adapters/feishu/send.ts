import type { OutboundMessage, SendResult } from '../../src/types/index.js';
import { classifyHttpStatus, classifyThrown } from '../shared/http.js';
import { tokenExpiresAt } from '../shared/token-cache.js';
import type { Token } from '../shared/token-cache.js';
import { MEDIA_REQUEST, mediaAnswer, mediaThrown } from '../shared/media.js';
import type { MediaRef, MediaResult, SendContext } from '../types.js';
import type { FeishuConfig } from './config.js';

/** Feishu issues a fresh token once fewer than 30 minutes are left; refresh at that point. */
const TOKEN_REFRESH_BEFORE_MS = 30 * 60 * 1000;
/** 99991661: token missing/malformed; 99991663: tenant token invalid or expired. */
const TOKEN_CODES = new Set([99991661, 99991663]);
/** 99991400: rate limited (5 QPS per chat, 50/s per app). */
const RATE_LIMIT_CODE = 99991400;

interface FeishuReply {
  code?: number;
  msg?: string;
  data?: { message_id?: string };
  tenant_access_token?: string;
  expire?: number;
}

// https://open.feishu.cn/document/server-docs/authentication-management/access-token/tenant_access_token_internal
export async function fetchTenantToken(cfg: FeishuConfig, ctx: SendContext): Promise<Token> {
  const res = await ctx.http.post<FeishuReply>(`${ctx.apiBase}/open-apis/auth/v3/tenant_access_token/internal`, {
    app_id: cfg.appId,
    app_secret: cfg.appSecret,
  });
  const body = res.data ?? {};
  if (res.status !== 200 || body.code !== 0 || !body.tenant_access_token || !body.expire) {
    throw new Error(`tenant_access_token: HTTP ${res.status} code ${String(body.code)} ${body.msg ?? ''} (check appId/appSecret)`);
  }
  return { value: body.tenant_access_token, expiresAt: tokenExpiresAt(ctx.now(), body.expire * 1000, TOKEN_REFRESH_BEFORE_MS) };
}

// https://open.feishu.cn/document/server-docs/im-v1/message/create
async function postMessage(msg: OutboundMessage, token: string, ctx: SendContext) {
  const chatId = typeof msg.replyContext.chatId === 'string' ? msg.replyContext.chatId : null;
  const receiveIdType = chatId ? 'chat_id' : 'open_id';
  return ctx.http.post<FeishuReply>(
    `${ctx.apiBase}/open-apis/im/v1/messages?receive_id_type=${receiveIdType}`,
    {
      receive_id: chatId ?? msg.customerId,
      msg_type: 'text',
      content: JSON.stringify({ text: msg.text }),
      // Same uuid within an hour ⇒ at most one message: a retried send cannot duplicate.
      uuid: msg.idempotencyKey,
    },
    { headers: { Authorization: `Bearer ${token}` } },
  );
}

export async function sendFeishu(msg: OutboundMessage, cfg: FeishuConfig, ctx: SendContext): Promise<SendResult> {
  try {
    let token = await ctx.tokens.get(`feishu:${cfg.appId}`, () => fetchTenantToken(cfg, ctx));
    let res = await postMessage(msg, token, ctx);
    if (TOKEN_CODES.has(res.data?.code ?? 0)) {
      // Revoked or expired early: refetch once and retry once.
      ctx.tokens.invalidate(`feishu:${cfg.appId}`, token);
      token = await ctx.tokens.get(`feishu:${cfg.appId}`, () => fetchTenantToken(cfg, ctx));
      res = await postMessage(msg, token, ctx);
    }
    const body = res.data ?? {};
    if (res.status === 200 && body.code === 0) return { ok: true, platformId: body.data?.message_id };
    if (body.code === RATE_LIMIT_CODE) return { ok: false, retry: 'backoff', reason: `rate limited (${RATE_LIMIT_CODE})` };
    const http = classifyHttpStatus(res);
    if (http) return http;
    if (TOKEN_CODES.has(body.code ?? 0)) return { ok: false, retry: 'backoff', reason: `token refused twice (${body.code})` };
    return { ok: false, retry: 'never', reason: `Feishu code ${String(body.code)}: ${body.msg ?? 'unknown error'}` };
  } catch (err) {
    return classifyThrown(err);
  }
}

/**
 * A picture or file a customer sent, for staff at the desk: GET the message's resource with the
 * tenant token (refetched once when refused). Errors come back as JSON instead of the file.
 * https://open.feishu.cn/document/server-docs/im-v1/message/get-2
 */
export async function fetchFeishuMedia(ref: MediaRef, cfg: FeishuConfig, ctx: SendContext): Promise<MediaResult> {
  if (!ref.messageId) return { ok: false, status: 404, reason: 'no message id stored with it' };
  const url = `${ctx.apiBase}/open-apis/im/v1/messages/${encodeURIComponent(ref.messageId)}/resources/${encodeURIComponent(ref.key)}`;
  const get = (token: string) => ctx.http.get<ArrayBuffer>(url, {
    ...MEDIA_REQUEST, params: { type: ref.kind === 'image' ? 'image' : 'file' }, headers: { Authorization: `Bearer ${token}` },
  });
  try {
    let token = await ctx.tokens.get(`feishu:${cfg.appId}`, () => fetchTenantToken(cfg, ctx));
    let res = await get(token);
    let answer = mediaAnswer(res, () => false);
    if (!answer.ok && TOKEN_CODES.has(answer.code ?? 0)) {
      ctx.tokens.invalidate(`feishu:${cfg.appId}`, token);
      token = await ctx.tokens.get(`feishu:${cfg.appId}`, () => fetchTenantToken(cfg, ctx));
      res = await get(token);
      answer = mediaAnswer(res, () => false);
    }
    return answer;
  } catch (err) {
    return mediaThrown(err);
  }
}
