import { readEnvOptions } from '../config/env.js';
import { closestName } from '../config/fields.js';
import { loadConfig, resolveConfigPath } from '../config/load.js';
import type { AppConfig, ShopConfig } from '../config/schema.js';

/** The config the commands read: `--config` when a command takes it, else XIAOER_CONFIG, as `serve` does. */
export function cliConfig(configFlag?: string): AppConfig {
  return loadConfig(resolveConfigPath(configFlag ?? readEnvOptions().configPath).path);
}

/**
 * What a command does without --shop: `required` refuses, `single` takes the only shop (and asks
 * which when there are several), `first` takes the first, `all` takes every shop.
 */
export type NoShopMeans = 'required' | 'single' | 'first' | 'all';

/**
 * The shops `--shop` names, checked against the config. A mistyped id must be an error, never an
 * empty answer: "no conversation is with a person right now" for `--shop acmee` reads as a quiet
 * day. The message names the config, the likeliest meant id and every id there is.
 */
export function pickShops(config: AppConfig, id: string | undefined, none: NoShopMeans): { shops: ShopConfig[] } | { error: string } {
  const ids = config.shops.map((s) => s.id);
  const list = `shops: ${ids.join(', ')}`;
  if (id !== undefined) {
    const shop = config.shops.find((s) => s.id === id);
    if (shop) return { shops: [shop] };
    const meant = closestName(id, ids);
    return { error: `no shop "${id}" in ${config.file}${meant ? `; did you mean "${meant}"?` : ''} (${list})` };
  }
  if (none === 'all') return { shops: [...config.shops] };
  if (none === 'first' || (none === 'single' && config.shops.length === 1)) return { shops: config.shops.slice(0, 1) };
  return { error: `--shop: name the shop (${list})` };
}

/** pickShops for commands about one shop. */
export function pickShop(config: AppConfig, id: string | undefined, none: Exclude<NoShopMeans, 'all'>): { shop: ShopConfig } | { error: string } {
  const picked = pickShops(config, id, none);
  return 'error' in picked ? picked : { shop: picked.shops[0]! };
}

/**
 * For commands that read only the database (jobs, handoff, alerts, customers): they need no
 * config to run, so it is read only to check a --shop given; null when there is nothing to say.
 */
export function unknownShopError(id: string | undefined): string | null {
  if (id === undefined) return null;
  const picked = pickShops(cliConfig(), id, 'required');
  return 'error' in picked ? picked.error : null;
}
