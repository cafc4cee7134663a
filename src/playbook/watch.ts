import { watch } from 'node:fs';
import type { FSWatcher } from 'node:fs';
import type { Logger } from 'pino';
import type { ShopConfig } from '../config/schema.js';
import type { Problem } from '../errors.js';
import type { PlaybookStore } from './store.js';

/** Editors write a file in several steps (truncate, write, rename): wait for them to settle. */
export const RELOAD_DEBOUNCE_MS = 200;

/**
 * Hot reload: an edit to a shop's playbook directory takes effect without a restart. A broken
 * edit is rejected (the store keeps the last good version) and reported through `onRejected`.
 */
export function watchPlaybooks(
  shops: readonly ShopConfig[], store: PlaybookStore, log: Logger, onRejected: (shopId: string, problems: Problem[]) => void,
): { close(): void } {
  const watchers: FSWatcher[] = [];
  const timers = new Map<string, NodeJS.Timeout>();
  for (const shop of shops) {
    try {
      const w = watch(shop.playbooksDir, (_event, file) => {
        if (file && !/\.ya?ml$/.test(String(file))) return;
        clearTimeout(timers.get(shop.id));
        timers.set(shop.id, setTimeout(() => {
          const problems = store.reload(shop.id);
          if (problems.some((p) => p.severity === 'error')) onRejected(shop.id, problems.filter((p) => p.severity === 'error'));
        }, RELOAD_DEBOUNCE_MS));
      });
      w.on('error', (err) => log.warn({ err, shop: shop.id }, 'playbook watcher failed; restart to pick up edits'));
      watchers.push(w);
    } catch (err) {
      log.warn({ err, shop: shop.id, dir: shop.playbooksDir }, 'cannot watch playbooks; edits need a restart');
    }
  }
  return {
    close() {
      for (const t of timers.values()) clearTimeout(t);
      for (const w of watchers) w.close();
    },
  };
}
