import { fetchToken } from '../shared/wecom-token.js';
import type { Adapter } from '../types.js';
import type { WecomConfig } from './config.js';
import { parseWecom, wecomMediaOf } from './parse.js';
import { fetchWecomMedia, sendWecom } from './send.js';
import { verifyWecom, verifyWecomUrl } from './verify.js';

/** WeCom self-built app: answer the callback within 5 s with an empty 200, reply through the API. */
export const wecomAdapter: Adapter<WecomConfig> = {
  platform: 'wecom',
  channel: 'wecom',
  configOf: (c) => c.wecom,
  verify: verifyWecom,
  verifyUrl: verifyWecomUrl,
  parse: parseWecom,
  ack: () => ({ status: 200, body: '' }),
  // At most 30 messages a minute to one member (protocols.md §2).
  limits: { perRecipient: { count: 30, windowMs: 60_000 } },
  send: sendWecom,
  async probe(cfg, ctx) {
    await fetchToken(cfg.corpId, cfg.secret, ctx);
    return `corp ${cfg.corpId}: corpId and secret accepted (access_token issued); 微信客服 uses the same`;
  },
  mediaOf: wecomMediaOf,
  fetchMedia: (ref, cfg, ctx) => fetchWecomMedia(ref, cfg.corpId, cfg.secret, ctx),
};
