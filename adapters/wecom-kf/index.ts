import type { Adapter } from '../types.js';
import { parseWecom } from '../wecom/parse.js';
import { fetchWecomMedia } from '../wecom/send.js';
import { verifyWecom, verifyWecomUrl } from '../wecom/verify.js';
import { KF_REPLIES_PER_MESSAGE, KF_REPLY_WINDOW_MS } from './config.js';
import type { KfConfig } from './config.js';
import { kfMediaOf } from './parse.js';
import { sendKf } from './send.js';

/**
 * 微信客服 shares the WeCom app's callback URL and crypto: its callbacks only announce waiting
 * messages (a pull), fetched with sync_msg by the KF puller (src/engine/kf-puller.ts).
 */
export const wecomKfAdapter: Adapter<KfConfig> = {
  platform: 'wecom',
  channel: 'wecomKf',
  configOf: (c) => (c.wecom && c.wecomKf ? { ...c.wecom, ...c.wecomKf } : undefined),
  verify: verifyWecom,
  verifyUrl: verifyWecomUrl,
  parse: (payload, ctx) => parseWecom(payload, ctx),
  ack: () => ({ status: 200, body: '' }),
  send: sendKf,
  limits: { windowMs: KF_REPLY_WINDOW_MS, perInbound: KF_REPLIES_PER_MESSAGE },
  mediaOf: kfMediaOf,
  fetchMedia: (ref, cfg, ctx) => fetchWecomMedia(ref, cfg.corpId, cfg.secret, ctx),
};
