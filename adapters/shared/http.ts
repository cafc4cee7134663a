import http from 'node:http';
import https from 'node:https';
import axios from 'axios';
import type { AxiosInstance, AxiosResponse } from 'axios';
import type { SendResult } from '../../src/types/index.js';

/** A platform call that hangs must not hold an outbox slot; the outbox retries it later. */
export const PLATFORM_TIMEOUT_MS = 5_000;

/** Connections kept open per platform host: a send costs a request, not a TCP (and TLS) handshake. */
export const PLATFORM_SOCKETS_PER_HOST = 64;

/** One axios instance for platform APIs: never throws on HTTP status, so adapters read platform error codes. */
export function createPlatformHttp(): AxiosInstance {
  return axios.create({
    timeout: PLATFORM_TIMEOUT_MS,
    httpAgent: new http.Agent({ keepAlive: true, maxSockets: PLATFORM_SOCKETS_PER_HOST }),
    httpsAgent: new https.Agent({ keepAlive: true, maxSockets: PLATFORM_SOCKETS_PER_HOST }),
    validateStatus: () => true,
    maxRedirects: 0,
    headers: { 'User-Agent': 'xiaoer' },
  });
}

/** HTTP-level classification shared by all adapters: 5xx and 429 are worth another try, other 4xx are not. */
export function classifyHttpStatus(res: AxiosResponse): SendResult | null {
  if (res.status >= 500 || res.status === 429) return { ok: false, retry: 'backoff', reason: `HTTP ${res.status}` };
  return null;
}

/** Network failures and timeouts: the platform may be back in a moment. */
export function classifyThrown(err: unknown): Extract<SendResult, { ok: false }> {
  const code = (err as { code?: string }).code ?? 'ERR';
  const message = err instanceof Error ? err.message : String(err);
  return { ok: false, retry: 'backoff', reason: `network: ${code} ${message}`.slice(0, 300) };
}
