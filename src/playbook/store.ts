import type { Logger } from 'pino';
import type { ShopConfig } from '../config/schema.js';
import { ValidationError } from '../errors.js';
import type { CompiledPlaybook } from './compiled.js';
import { loadPlaybooks } from './load.js';

/** The compiled playbook each shop is serving now. Swapped whole, so a message sees one version. */
export interface PlaybookStore {
  get(shopId: string): CompiledPlaybook;
  /** Re-reads a shop's files; on errors keeps serving the last good version and returns the problems. */
  reload(shopId: string): ReturnType<typeof loadPlaybooks>['problems'];
}

/** `loaded`: told of each version that starts serving (at start and after each accepted edit). */
export function createPlaybookStore(shops: readonly ShopConfig[], log: Logger, loaded?: (shopId: string, playbook: CompiledPlaybook) => void): PlaybookStore {
  const current = new Map<string, CompiledPlaybook>();
  for (const shop of shops) {
    const { playbook, problems } = loadPlaybooks(shop.playbooksDir);
    for (const p of problems.filter((x) => x.severity === 'warning')) log.warn({ shop: shop.id, ...p }, 'playbook warning');
    if (!playbook) throw new ValidationError('PLAYBOOK_INVALID', problems.filter((p) => p.severity === 'error'));
    current.set(shop.id, playbook);
    loaded?.(shop.id, playbook);
  }
  return {
    get(shopId) {
      const p = current.get(shopId);
      if (!p) throw new Error(`no playbook loaded for shop ${shopId}`);
      return p;
    },
    reload(shopId) {
      const shop = shops.find((s) => s.id === shopId);
      if (!shop) return [];
      const { playbook, problems } = loadPlaybooks(shop.playbooksDir);
      if (playbook) {
        current.set(shopId, playbook);
        loaded?.(shopId, playbook);
        log.info({ shop: shopId, rules: playbook.rules.length }, 'playbooks reloaded');
      } else {
        log.error({ shop: shopId, problems }, 'playbook edit rejected; the previous version keeps serving');
      }
      return problems;
    },
  };
}
