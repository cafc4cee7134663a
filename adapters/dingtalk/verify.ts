import type { RawRequest, VerifyResult } from '../types.js';
import { hmacSha256, safeEqual, withinWindow } from '../shared/crypto.js';
import type { DingtalkConfig } from './config.js';

/** DingTalk refuses callbacks whose timestamp is more than an hour off; so do we. */
export const DINGTALK_WINDOW_MS = 60 * 60 * 1000;

/** base64(HmacSHA256(key = appSecret, timestamp + "\n" + appSecret)). */
export function dingtalkSign(timestamp: string, appSecret: string): string {
  return hmacSha256(appSecret, `${timestamp}\n${appSecret}`).toString('base64');
}

// https://open.dingtalk.com/document/orgapp/receive-message
export function verifyDingtalk(req: RawRequest, cfg: DingtalkConfig, now: Date): VerifyResult {
  const timestamp = req.headers.timestamp;
  const sign = req.headers.sign;
  if (!timestamp || !sign) return { ok: false, status: 401, reason: 'missing timestamp or sign header' };
  if (!withinWindow(Number(timestamp), now, DINGTALK_WINDOW_MS)) return { ok: false, status: 401, reason: 'timestamp outside the 1-hour window' };
  if (!safeEqual(dingtalkSign(timestamp, cfg.appSecret), sign)) return { ok: false, status: 401, reason: 'sign does not match (check channels.dingtalk.appSecret)' };
  try {
    const payload: unknown = JSON.parse(req.body.toString('utf8'));
    if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) return { ok: false, status: 400, reason: 'body is not a JSON object' };
    return { ok: true, payload };
  } catch {
    return { ok: false, status: 400, reason: 'body is not JSON' };
  }
}
