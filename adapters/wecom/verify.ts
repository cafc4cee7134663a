import { decrypt, getSignature } from '@wecom/crypto';
import { RequestError } from '../../src/errors.js';
import type { AckResponse, RawRequest, VerifyResult } from '../types.js';
import { safeEqual, withinWindow } from '../shared/crypto.js';
import { parseFlatXml } from '../shared/xml.js';
import type { WecomConfig } from './config.js';

/**
 * WeCom does not document a freshness window; it retries for well under a minute. An hour
 * refuses old captured requests while tolerating clock skew; MsgId dedup stops the rest.
 */
export const WECOM_REPLAY_WINDOW_MS = 60 * 60 * 1000;

/**
 * The official 加解密方案 via @wecom/crypto: msg_signature = sha1(sort(token, timestamp, nonce,
 * encrypt)), AES-256-CBC with the EncodingAESKey, receive id = corpId. `decrypt` neither throws
 * on a wrong key nor checks the id, so the signature is checked first and the id after.
 * https://developer.work.weixin.qq.com/document/path/90968
 */
function open(query: RawRequest['query'], encrypt: string, cfg: WecomConfig, now: Date): { ok: true; message: string } | { ok: false; status: 400 | 401; reason: string } {
  const { msg_signature: signature, timestamp, nonce } = query;
  if (!signature || !timestamp || !nonce) return { ok: false, status: 401, reason: 'missing msg_signature, timestamp or nonce' };
  if (!withinWindow(Number(timestamp) * 1000, now, WECOM_REPLAY_WINDOW_MS)) return { ok: false, status: 401, reason: 'timestamp outside the 1-hour window' };
  if (!safeEqual(getSignature(cfg.token, timestamp, nonce, encrypt), signature.toLowerCase())) {
    return { ok: false, status: 401, reason: 'msg_signature does not match (check channels.wecom.token)' };
  }
  let plain: { message: string; id: string };
  try {
    plain = decrypt(cfg.encodingAESKey, encrypt);
  } catch {
    return { ok: false, status: 400, reason: 'Encrypt does not decrypt (check channels.wecom.encodingAESKey)' };
  }
  if (!safeEqual(plain.id, cfg.corpId)) return { ok: false, status: 401, reason: 'receive id is not channels.wecom.corpId (check encodingAESKey and corpId)' };
  return { ok: true, message: plain.message };
}

export function verifyWecom(req: RawRequest, cfg: WecomConfig, now: Date): VerifyResult {
  const outer = parseFlatXml(req.body.toString('utf8'));
  if (!outer?.Encrypt) return { ok: false, status: 400, reason: 'body is not WeCom callback XML with an <Encrypt> element' };
  const opened = open(req.query, outer.Encrypt, cfg, now);
  if (!opened.ok) return opened;
  const inner = parseFlatXml(opened.message);
  if (!inner) return { ok: false, status: 400, reason: 'decrypted message is not XML' };
  return { ok: true, payload: inner };
}

/** GET URL check: answer the decrypted echostr as bare text within 1 s. */
export function verifyWecomUrl(req: RawRequest, cfg: WecomConfig, now: Date): AckResponse {
  const echostr = req.query.echostr;
  if (!echostr) throw new RequestError(400, 'missing echostr');
  const opened = open(req.query, echostr, cfg, now);
  if (!opened.ok) throw new RequestError(opened.status, opened.reason);
  return { status: 200, body: opened.message };
}
