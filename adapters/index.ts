import type { Channel } from '../src/types/index.js';
import type { Adapter } from './types.js';
import { dingtalkAdapter } from './dingtalk/index.js';
import { feishuAdapter } from './feishu/index.js';
import { localAdapter } from './local/index.js';
import { wecomKfAdapter } from './wecom-kf/index.js';
import { wecomAdapter } from './wecom/index.js';

/** The registry: adding a platform is one folder under adapters/ and one line here. */
export const adapters: { readonly [K in Channel]: Adapter<unknown> } = {
  feishu: feishuAdapter as Adapter<unknown>,
  wecom: wecomAdapter as Adapter<unknown>,
  wecomKf: wecomKfAdapter as Adapter<unknown>,
  dingtalk: dingtalkAdapter as Adapter<unknown>,
  local: localAdapter as Adapter<unknown>,
};

/** The adapter that receives webhooks at /webhooks/<platform>/… (wecom also carries 微信客服). */
export function adapterForPlatform(platform: string): Adapter<unknown> | undefined {
  return Object.values(adapters).find((a) => a.platform === platform && a.channel !== 'wecomKf');
}

export function adapterForChannel(channel: string): Adapter<unknown> | undefined {
  return (adapters as Record<string, Adapter<unknown>>)[channel];
}
