import type { ChannelsConfig } from '../src/config/schema.js';
import type { Adapter } from './types.js';
import { feishuAdapter } from './feishu/index.js';
import { localAdapter } from './local/index.js';

/** The registry: adding a platform is one folder under adapters/ and one line here. */
export const adapters = {
  feishu: feishuAdapter,
  local: localAdapter,
} as const satisfies { [K in keyof ChannelsConfig]-?: Adapter<NonNullable<ChannelsConfig[K]>> };

export type AdapterChannel = keyof typeof adapters;

export function adapterForPlatform(platform: string): { channel: AdapterChannel; adapter: Adapter<unknown> } | undefined {
  for (const [channel, adapter] of Object.entries(adapters)) {
    if (adapter.platform === platform) return { channel: channel as AdapterChannel, adapter: adapter as Adapter<unknown> };
  }
  return undefined;
}

export function adapterForChannel(channel: string): Adapter<unknown> | undefined {
  return (adapters as Record<string, Adapter<unknown>>)[channel];
}
