import type { OutboundMessage, SendResult } from '../../src/types/index.js';
import { classifyThrown } from '../shared/http.js';
import { callWithToken, WECOM_RETRY_CODES, WECOM_TOKEN_CODES } from '../shared/wecom-token.js';
import type { WecomReply } from '../shared/wecom-token.js';
import { MEDIA_REQUEST, mediaAnswer, mediaThrown } from '../shared/media.js';
import type { MediaRef, MediaResult, SendContext } from '../types.js';
import type { WecomConfig } from './config.js';

/** media/get's answer for a media_id it does not know, or no longer keeps (3 days). */
const WECOM_MEDIA_GONE = 40007;

/** text.content may be at most 2048 bytes. */
export const WECOM_TEXT_MAX_BYTES = 2048;

export function truncateBytes(text: string, max: number): string {
  if (Buffer.byteLength(text) <= max) return text;
  let out = text;
  while (Buffer.byteLength(out + '…') > max) out = out.slice(0, -1);
  return out + '…';
}

/** Shared by the app and 微信客服 sends: one classification of WeCom errcodes. */
export function classifyWecom(body: WecomReply, status: number): SendResult {
  if (body.errcode === 0) return { ok: true, ...(body.msgid ? { platformId: body.msgid } : {}) };
  if (status >= 500 || status === 429) return { ok: false, retry: 'backoff', reason: `HTTP ${status}` };
  const reason = `WeCom errcode ${String(body.errcode)}: ${body.errmsg ?? 'unknown'}`;
  if (WECOM_RETRY_CODES.has(body.errcode ?? 0) || WECOM_TOKEN_CODES.has(body.errcode ?? 0)) return { ok: false, retry: 'backoff', reason };
  return { ok: false, retry: 'never', reason };
}

// https://developer.work.weixin.qq.com/document/path/90236
export async function sendWecom(msg: OutboundMessage, cfg: WecomConfig, ctx: SendContext): Promise<SendResult> {
  try {
    let status = 0;
    const body = await callWithToken(cfg.corpId, cfg.secret, ctx, async (token) => {
      const res = await ctx.http.post<WecomReply>(`${ctx.apiBase}/cgi-bin/message/send`, {
        touser: msg.customerId,
        msgtype: 'text',
        agentid: cfg.agentId,
        text: { content: truncateBytes(msg.text, WECOM_TEXT_MAX_BYTES) },
        enable_duplicate_check: 0,
      }, { params: { access_token: token } });
      status = res.status;
      return res.data ?? {};
    });
    return classifyWecom(body, status);
  } catch (err) {
    return classifyThrown(err);
  }
}

/**
 * A picture or file a customer sent (the app's and 微信客服's alike: both name it by media_id),
 * for staff at the desk. WeCom keeps such media 3 days; after that it answers 40007.
 * https://developer.work.weixin.qq.com/document/path/90254
 */
export async function fetchWecomMedia(ref: MediaRef, corpId: string, secret: string, ctx: SendContext): Promise<MediaResult> {
  let answer: MediaResult = { ok: false, status: 502, reason: 'not fetched' };
  try {
    await callWithToken(corpId, secret, ctx, async (token) => {
      const res = await ctx.http.get<ArrayBuffer>(`${ctx.apiBase}/cgi-bin/media/get`, { ...MEDIA_REQUEST, params: { access_token: token, media_id: ref.key } });
      answer = mediaAnswer(res, (code) => code === WECOM_MEDIA_GONE);
      return answer.ok ? {} : { errcode: answer.code };
    });
    return answer;
  } catch (err) {
    return mediaThrown(err);
  }
}
