import type { ShopConfig } from '../config/schema.js';
import type { Db, Dialect } from '../db/index.js';
import { withSharedTryLock } from '../db/locks.js';
import type { Logger } from '../log.js';
import type { PlaybookStore } from '../playbook/store.js';
import { createTicker, throttled } from './ticker.js';

/** What a periodic staff-alert sweep over every shop needs (handoff reminders, weekly reports). */
export interface ShopSweepDeps {
  db: Db;
  dialect: Dialect;
  shops: ReadonlyMap<string, ShopConfig>;
  playbooks: PlaybookStore;
  log: Logger;
  now: () => number;
  /** After alerts were queued for the robots: deliver them now. */
  onAlert: () => void;
}

export interface ShopSweep {
  /** The lock name: one instance sweeps at a time. */
  lock: string;
  everyMs: number;
  /** One shop's part, inside the lock; returns how many alerts it queued. */
  perShop: (shop: ShopConfig, now: number) => Promise<number>;
  /** Log lines: alerts were queued / the sweep failed (the next one tries again). */
  queued: string;
  failed: string;
}

/**
 * Every `everyMs`, each shop in turn under a shared lock (several instances on one Postgres do
 * the work once), then the alert worker is woken if anything was queued.
 */
export function createShopSweep(deps: ShopSweepDeps, sweep: ShopSweep) {
  const ticker = createTicker(async () => {
    const now = deps.now();
    let queued = 0;
    await withSharedTryLock(deps.db, deps.dialect, sweep.lock, async () => {
      for (const shop of deps.shops.values()) queued += await sweep.perShop(shop, now);
    });
    if (queued > 0) {
      deps.log.info({ queued }, sweep.queued);
      deps.onAlert();
    }
    return { handled: queued, more: false };
  }, (err) => deps.log.error({ err }, sweep.failed));

  return {
    /** Runs when `everyMs` have passed since the last run (`force`: now). */
    tick: throttled(ticker, sweep.everyMs, deps.now),
    idle: () => ticker.idle(),
  };
}
