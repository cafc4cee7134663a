import type { RawRequest, VerifyResult } from '../types.js';
import { safeEqual } from '../shared/crypto.js';
import type { LocalConfig } from './config.js';

/** Why a request to the local channel (a chat line, or its inbox) is not allowed, or null when it is. */
export function localTokenRefusal(authorization: string | undefined, cfg: LocalConfig): string | null {
  if (cfg.token === undefined) return null;
  const auth = authorization ?? '';
  const given = auth.startsWith('Bearer ') ? auth.slice('Bearer '.length) : '';
  return safeEqual(given, cfg.token) ? null : 'missing or wrong Authorization: Bearer token';
}

export function verifyLocal(req: RawRequest, cfg: LocalConfig): VerifyResult {
  const refused = localTokenRefusal(req.headers.authorization, cfg);
  if (refused) return { ok: false, status: 401, reason: refused };
  try {
    return { ok: true, payload: JSON.parse(req.body.toString('utf8')) };
  } catch {
    return { ok: false, status: 400, reason: 'body is not JSON' };
  }
}
