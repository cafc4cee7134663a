import type { Adapter } from '../types.js';
import type { DingtalkConfig } from './config.js';
import { dingtalkMediaOf, parseDingtalk } from './parse.js';
import { fetchDingtalkMedia, fetchDingtalkToken, sendDingtalk } from './send.js';
import { verifyDingtalk } from './verify.js';

/** DingTalk internal-app robot, HTTP callback mode. */
export const dingtalkAdapter: Adapter<DingtalkConfig> = {
  platform: 'dingtalk',
  channel: 'dingtalk',
  configOf: (c) => c.dingtalk,
  verify: verifyDingtalk,
  parse: parseDingtalk,
  ack: () => ({ status: 200, body: {} }),
  // A robot takes 20 messages a minute, else it is throttled for 10 minutes.
  limits: { perApp: { count: 20, windowMs: 60_000 } },
  send: sendDingtalk,
  async probe(cfg, ctx) {
    await fetchDingtalkToken(cfg, ctx);
    return `app ${cfg.appKey}: appKey and appSecret accepted (accessToken issued)`;
  },
  mediaOf: dingtalkMediaOf,
  fetchMedia: fetchDingtalkMedia,
};
