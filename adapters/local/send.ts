import type { SendResult } from '../../src/types/index.js';

/** The local channel delivers replies in the HTTP answer itself; the outbox only records them as sent. */
export async function sendLocal(): Promise<SendResult> {
  return { ok: true };
}
