import { createDecipheriv, createHash, createHmac, timingSafeEqual } from 'node:crypto';

export function sha256(...parts: (string | Buffer)[]): Buffer {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest();
}

export function hmacSha256(key: string | Buffer, data: string | Buffer): Buffer {
  return createHmac('sha256', key).update(data).digest();
}

/**
 * Constant-time comparison of two strings (e.g. hex signatures). Lengths are compared first;
 * that leaks only the length, which is public for every signature format we check.
 */
export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

/** AES-CBC with PKCS#7 padding; throws on a wrong key or corrupt data (bad padding). */
export function aesCbcDecrypt(key: Buffer, iv: Buffer, data: Buffer): Buffer {
  const algo = key.length === 32 ? 'aes-256-cbc' : key.length === 16 ? 'aes-128-cbc' : null;
  if (!algo) throw new Error(`AES key must be 16 or 32 bytes, got ${key.length}`);
  const d = createDecipheriv(algo, key, iv);
  return Buffer.concat([d.update(data), d.final()]);
}

/** Age check for signed requests: refuses stale replays and clocks far in the future. */
export function withinWindow(timestampMs: number, now: Date, windowMs: number): boolean {
  return Number.isFinite(timestampMs) && Math.abs(now.getTime() - timestampMs) <= windowMs;
}
