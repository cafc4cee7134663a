import { sha256 } from './crypto.js';
import { tokenExpiresAt } from './token-cache.js';
import type { Token } from './token-cache.js';
import type { SendContext } from '../types.js';

/** access_token lasts 7200 s but may be revoked early; refresh 5 minutes before it runs out. */
const REFRESH_BEFORE_MS = 5 * 60 * 1000;
/** 40014 invalid token, 42001 expired token (expired tokens are also seen as 40014). */
export const WECOM_TOKEN_CODES = new Set([40014, 42001]);
/** -1 system busy, 45009 call frequency limit: worth another try later. */
export const WECOM_RETRY_CODES = new Set([-1, 45009]);

export interface WecomReply {
  errcode?: number;
  errmsg?: string;
  access_token?: string;
  expires_in?: number;
  msgid?: string;
  invaliduser?: string;
}

// https://developer.work.weixin.qq.com/document/path/91039
export async function fetchToken(corpId: string, secret: string, ctx: SendContext): Promise<Token> {
  const res = await ctx.http.get<WecomReply>(`${ctx.apiBase}/cgi-bin/gettoken`, { params: { corpid: corpId, corpsecret: secret } });
  const body = res.data ?? {};
  if (res.status !== 200 || body.errcode !== 0 || !body.access_token || !body.expires_in) {
    throw new Error(`gettoken: HTTP ${res.status} errcode ${String(body.errcode)} ${body.errmsg ?? ''} (check corpId/secret)`);
  }
  return { value: body.access_token, expiresAt: tokenExpiresAt(ctx.now(), body.expires_in * 1000, REFRESH_BEFORE_MS) };
}

/**
 * Calls a WeCom API that takes `access_token`: cached per app secret (gettoken is throttled),
 * refetched once and retried once when WeCom says the token is invalid or expired.
 */
export async function callWithToken<R extends WecomReply>(
  corpId: string, secret: string, ctx: SendContext, call: (token: string) => Promise<R>,
): Promise<R> {
  // Keyed by a digest of the secret: one token per app secret, and the secret itself never becomes a key.
  const key = `wecom:${corpId}:${sha256(secret).toString('hex').slice(0, 12)}`;
  let token = await ctx.tokens.get(key, () => fetchToken(corpId, secret, ctx));
  let body = await call(token);
  if (WECOM_TOKEN_CODES.has(body.errcode ?? 0)) {
    ctx.tokens.invalidate(key, token);
    token = await ctx.tokens.get(key, () => fetchToken(corpId, secret, ctx));
    body = await call(token);
  }
  return body;
}
