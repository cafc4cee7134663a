import type { RawRequest, VerifyResult } from '../types.js';
import { safeEqual } from '../shared/crypto.js';
import type { LocalConfig } from './config.js';

export function verifyLocal(req: RawRequest, cfg: LocalConfig): VerifyResult {
  if (cfg.token !== undefined) {
    const auth = req.headers.authorization ?? '';
    const given = auth.startsWith('Bearer ') ? auth.slice('Bearer '.length) : '';
    if (!safeEqual(given, cfg.token)) return { ok: false, status: 401, reason: 'missing or wrong Authorization: Bearer token' };
  }
  try {
    return { ok: true, payload: JSON.parse(req.body.toString('utf8')) };
  } catch {
    return { ok: false, status: 400, reason: 'body is not JSON' };
  }
}
