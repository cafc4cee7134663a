import type { Adapter } from '../types.js';
import type { FeishuConfig } from './config.js';
import { feishuMediaOf, parseFeishu } from './parse.js';
import { fetchFeishuMedia, fetchTenantToken, sendFeishu } from './send.js';
import { verifyFeishu } from './verify.js';

/** Feishu / Lark event subscription (webhook mode). Feishu only needs HTTP 200 within 3 s. */
export const feishuAdapter: Adapter<FeishuConfig> = {
  platform: 'feishu',
  channel: 'feishu',
  configOf: (c) => c.feishu,
  verify: verifyFeishu,
  parse: parseFeishu,
  ack: () => ({ status: 200, body: {} }),
  // 50 messages/s per app, 5/s per user or chat (protocols.md).
  limits: { perApp: { count: 50, windowMs: 1000 }, perRecipient: { count: 5, windowMs: 1000 } },
  send: sendFeishu,
  async probe(cfg, ctx) {
    await fetchTenantToken(cfg, ctx);
    return `app ${cfg.appId}: appId and appSecret accepted (tenant_access_token issued)`;
  },
  mediaOf: feishuMediaOf,
  fetchMedia: fetchFeishuMedia,
};
