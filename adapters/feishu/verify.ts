import type { RawRequest, VerifyResult } from '../types.js';
import { aesCbcDecrypt, safeEqual, sha256, withinWindow } from '../shared/crypto.js';
import type { FeishuConfig } from './config.js';

/** Requests signed longer ago than this are refused as replays. */
export const FEISHU_REPLAY_WINDOW_MS = 5 * 60 * 1000;

/**
 * Decrypts an `{"encrypt": …}` body: key = SHA-256(encryptKey), first 16 bytes are the IV.
 * https://open.feishu.cn/document/server-docs/event-subscription-guide/event-subscription-configure-/encrypt-key-encryption-configuration-case
 */
export function feishuDecrypt(encrypt: string, encryptKey: string): string {
  const raw = Buffer.from(encrypt, 'base64');
  if (raw.length < 32 || raw.length % 16 !== 0) throw new Error('ciphertext has the wrong length');
  return aesCbcDecrypt(aesKey(encryptKey), raw.subarray(0, 16), raw.subarray(16)).toString('utf8');
}

/** Derived once per configured key (a shop has one; config is frozen), not once per event. */
const aesKeys = new Map<string, Buffer>();
function aesKey(encryptKey: string): Buffer {
  let key = aesKeys.get(encryptKey);
  if (!key) {
    key = sha256(encryptKey);
    aesKeys.set(encryptKey, key);
  }
  return key;
}

/** hex(SHA-256(timestamp + nonce + encryptKey ++ raw body bytes)) — over the bytes, never re-serialised JSON. */
export function feishuSignature(timestamp: string, nonce: string, encryptKey: string, body: Buffer): string {
  return sha256(timestamp + nonce + encryptKey, body).toString('hex');
}

export function verifyFeishu(req: RawRequest, cfg: FeishuConfig, now: Date): VerifyResult {
  const timestamp = req.headers['x-lark-request-timestamp'];
  const nonce = req.headers['x-lark-request-nonce'];
  const signature = req.headers['x-lark-signature'];
  const signed = timestamp !== undefined && nonce !== undefined && signature !== undefined;

  if (timestamp !== undefined && !withinWindow(Number(timestamp) * 1000, now, FEISHU_REPLAY_WINDOW_MS)) {
    return { ok: false, status: 401, reason: 'request timestamp outside the 5-minute window (replay or clock skew)' };
  }
  if (cfg.encryptKey && signed && !safeEqual(feishuSignature(timestamp, nonce, cfg.encryptKey, req.body), signature.toLowerCase())) {
    return { ok: false, status: 401, reason: 'X-Lark-Signature does not match (check channels.feishu.encryptKey)' };
  }

  let outer: unknown;
  try {
    outer = JSON.parse(req.body.toString('utf8'));
  } catch {
    return { ok: false, status: 400, reason: 'body is not JSON' };
  }
  if (!isObject(outer)) return { ok: false, status: 400, reason: 'body is not a JSON object' };

  let payload: Record<string, unknown> = outer;
  if (typeof outer.encrypt === 'string') {
    if (!cfg.encryptKey) return { ok: false, status: 401, reason: 'encrypted event but channels.feishu.encryptKey is not set' };
    let decrypted: unknown;
    try {
      decrypted = JSON.parse(feishuDecrypt(outer.encrypt, cfg.encryptKey));
    } catch {
      // A signed body that does not decrypt is malformed; an unsigned one is simply not authentic.
      return signed
        ? { ok: false, status: 400, reason: 'encrypt field does not decrypt to JSON' }
        : { ok: false, status: 401, reason: 'cannot decrypt (check channels.feishu.encryptKey)' };
    }
    if (!isObject(decrypted)) return { ok: false, status: 400, reason: 'decrypted payload is not a JSON object' };
    payload = decrypted;
  }

  const isChallenge = payload.type === 'url_verification';
  // With an encrypt key, every event is signed; only the URL check comes unsigned (Feishu docs).
  if (cfg.encryptKey && !signed && !isChallenge) {
    return { ok: false, status: 401, reason: 'missing X-Lark-Signature headers' };
  }
  const token = isChallenge ? payload.token : isObject(payload.header) ? payload.header.token : payload.token;
  if (typeof token !== 'string' || !safeEqual(token, cfg.verificationToken)) {
    return { ok: false, status: 401, reason: 'verification token does not match channels.feishu.verificationToken' };
  }
  return { ok: true, payload };
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
