import type { Logger } from 'pino';
import { kfItemToInbound, kfItemToSendFailure, kfItemToServicerAction } from '../../adapters/wecom-kf/parse.js';
import type { KfSendFailure, KfServicerAction } from '../../adapters/wecom-kf/parse.js';
import { kfNicknames, syncKf } from '../../adapters/wecom-kf/sync.js';
import type { KfConfig } from '../../adapters/wecom-kf/config.js';
import type { SendContext } from '../../adapters/types.js';
import { nameCustomer, namelessCustomers } from '../db/customers.js';
import { getCursor, saveCursor } from '../db/cursors.js';
import type { Db, Dialect } from '../db/index.js';
import { withSharedLock } from '../db/locks.js';
import type { InboundMessage } from '../types/index.js';

/** A safety stop: a sync that keeps saying has_more for this many pages is logged and resumed next time. */
const MAX_PAGES_PER_PULL = 50;

export interface KfPullerDeps {
  db: Db;
  dialect: Dialect;
  log: Logger;
  now: () => Date;
  sendContext: () => SendContext;
  /** Commits one message through the normal pipeline; resolves with the outbox ids it queued. */
  commit(message: InboundMessage): Promise<{ duplicate: boolean; outboxIds: number[] }>;
  /** A 接待人员's reply or session change in the WeCom client (see applyServicerAction), committed. */
  servicer(shopId: string, action: KfServicerAction): Promise<unknown>;
  /** A reply the platform accepted and then could not deliver: recorded as dead, staff alerted. */
  sendFailed(shopId: string, failure: KfSendFailure): Promise<unknown>;
  /** Greetings for enter_session must go at once (welcome_code lasts 20 s). */
  sendNow(outboxIds: number[]): void;
  /** Other replies: the normal outbox. */
  poke(): void;
}

/**
 * 微信客服 callbacks only announce that messages wait. Pulls are serialized per account (in
 * process and, on Postgres, across instances), so two callbacks never fetch the same page twice, and the cursor is saved after each page's
 * messages are committed: a crash re-reads at most one page, and msgid dedup absorbs it.
 */
export function createKfPuller(deps: KfPullerDeps) {
  const chains = new Map<string, Promise<void>>();

  async function pullOnce(shopId: string, cfg: KfConfig, callbackToken: string): Promise<void> {
    let cursor = await getCursor(deps.db, shopId, 'wecomKf', cfg.openKfId);
    for (let page = 0; page < MAX_PAGES_PER_PULL; page++) {
      const batch = await syncKf(cfg, callbackToken, cursor, deps.sendContext());
      let queued = false;
      const customers = new Set<string>();
      for (const item of batch.items) {
        const failure = kfItemToSendFailure(item);
        if (failure) {
          await deps.sendFailed(shopId, failure);
          continue;
        }
        const action = kfItemToServicerAction(item);
        if (action) {
          await deps.servicer(shopId, action);
          continue;
        }
        const message = kfItemToInbound(item, shopId, deps.now());
        if (!message) continue;
        const result = await deps.commit(message);
        customers.add(message.customerId);
        if (message.event === 'session_start') deps.sendNow(result.outboxIds);
        else if (result.outboxIds.length) queued = true;
      }
      if (queued) deps.poke();
      cursor = batch.nextCursor;
      await saveCursor(deps.db, shopId, 'wecomKf', cfg.openKfId, cursor, deps.now().getTime());
      await nameNewCustomers(shopId, cfg, [...customers]);
      if (!batch.hasMore) return;
    }
    deps.log.warn({ shop: shopId, account: cfg.openKfId }, 'sync_msg still has more after the page limit; continuing on the next callback');
  }

  /**
   * sync_msg carries no names: customers seen for the first time get their WeChat nickname, after
   * their messages are answered (never in the way of a reply). A failure only leaves them unnamed
   * until their next message.
   */
  async function nameNewCustomers(shopId: string, cfg: KfConfig, ids: string[]): Promise<void> {
    try {
      const nameless = await namelessCustomers(deps.db, shopId, 'wecomKf', ids);
      if (nameless.length === 0) return;
      const names = await kfNicknames(cfg, nameless, deps.sendContext());
      for (const [id, name] of names) await nameCustomer(deps.db, shopId, 'wecomKf', id, name);
    } catch (err) {
      deps.log.warn({ err: err instanceof Error ? err.message : String(err), shop: shopId, account: cfg.openKfId }, '微信客服 customer names could not be fetched; trying again with their next message');
    }
  }

  return {
    /** Resolves when this pull (queued behind any running one for the same account) is done. */
    pull(shopId: string, cfg: KfConfig, callbackToken: string): Promise<void> {
      const key = `${shopId}\0${cfg.openKfId}`;
      const next = (chains.get(key) ?? Promise.resolve())
        // In process: a promise chain per account; across instances on Postgres: an advisory lock.
        .then(() => withSharedLock(deps.db, deps.dialect, `kf:${shopId}:${cfg.openKfId}`, () => pullOnce(shopId, cfg, callbackToken)))
        .catch((err: unknown) => deps.log.error({ err: err instanceof Error ? err.message : String(err), shop: shopId, account: cfg.openKfId },
          '微信客服 sync_msg failed; messages stay on the platform and are fetched on the next callback'));
      chains.set(key, next);
      void next.finally(() => {
        if (chains.get(key) === next) chains.delete(key);
      });
      return next;
    },
    async idle(): Promise<void> {
      while (chains.size) await Promise.all(chains.values());
    },
  };
}

export type KfPuller = ReturnType<typeof createKfPuller>;
