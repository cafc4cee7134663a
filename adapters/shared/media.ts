import type { AxiosResponse } from 'axios';
import type { MediaResult } from '../types.js';

/** The largest picture or file the desk fetches for staff (Feishu allows up to 100 MB; a photo is a few MB). */
export const MAX_MEDIA_BYTES = 20 * 1024 * 1024;
/** Fetching media is for a person waiting at the desk, not the ack path: a slow platform gets longer than a send. */
export const MEDIA_TIMEOUT_MS = 20_000;

/** The axios options of every media download: bytes, bounded in size and time. */
export const MEDIA_REQUEST = { responseType: 'arraybuffer', maxContentLength: MAX_MEDIA_BYTES, timeout: MEDIA_TIMEOUT_MS } as const;

/**
 * A platform's answer to a media download: the bytes, or — platforms answer errors with a JSON
 * body instead of the file (WeCom errcode, Feishu code) — the error. `gone(code)` says which
 * codes mean the platform no longer has the file (404 rather than 502).
 */
export function mediaAnswer(res: AxiosResponse<ArrayBuffer>, gone: (code: number) => boolean): MediaResult {
  const type = String(res.headers['content-type'] ?? 'application/octet-stream');
  const data = Buffer.from(res.data);
  if (/json|text\/plain/i.test(type)) {
    let body: { errcode?: number; errmsg?: string; code?: number; msg?: string } = {};
    try {
      body = JSON.parse(data.toString('utf8')) as typeof body;
    } catch {
      // not JSON after all: reported below by status
    }
    const code = body.errcode ?? body.code;
    if (code !== undefined && code !== 0) {
      return { ok: false, status: gone(code) ? 404 : 502, reason: `platform code ${code}: ${body.errmsg ?? body.msg ?? 'unknown error'}`, code };
    }
  }
  if (res.status === 404) return { ok: false, status: 404, reason: 'the platform does not have it (HTTP 404)' };
  if (res.status !== 200) return { ok: false, status: 502, reason: `the platform answered HTTP ${res.status}` };
  return { ok: true, contentType: type, data };
}

/** Network failures, timeouts, files over MAX_MEDIA_BYTES, and a refused access token. */
export function mediaThrown(err: unknown): MediaResult {
  const code = (err as { code?: string }).code;
  const message = err instanceof Error ? err.message : String(err);
  if (/maxContentLength/i.test(message)) {
    return { ok: false, status: 502, reason: `larger than ${MAX_MEDIA_BYTES / 1024 / 1024} MB: open it in the platform's client` };
  }
  return { ok: false, status: 502, reason: (code ? `network: ${code} ${message}` : message).slice(0, 300) };
}
