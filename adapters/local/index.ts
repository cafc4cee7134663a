import type { Adapter } from '../types.js';
import type { LocalConfig } from './config.js';
import { parseLocal } from './parse.js';
import { sendLocal } from './send.js';
import { verifyLocal } from './verify.js';

/**
 * Plain JSON chat: `{"user":"u1","text":"你好"}` in, `{"replies":[{"text":"…"}]}` out, after the full
 * pipeline ran; `"withPerson": true` when the conversation is handed over (a person answers later).
 */
export const localAdapter: Adapter<LocalConfig> = {
  platform: 'local',
  channel: 'local',
  configOf: (c) => c.local,
  verify: verifyLocal,
  parse: parseLocal,
  ack: (handled) => ({
    status: 200,
    body: {
      replies: handled.flatMap((h) => h.replies.map((r) => ({ text: r.text, rule: r.rule, response: r.response }))),
      understood: handled[0]?.understood ?? { intent: null, bargainer: null },
      ...(handled.some((h) => h.duplicate) ? { duplicate: true } : {}),
      ...(handled.some((h) => h.withPerson) ? { withPerson: true } : {}),
    },
  }),
  send: sendLocal,
};
