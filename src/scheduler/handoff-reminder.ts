import type { ShopConfig } from '../config/schema.js';
import { insertAlert } from '../db/alerts.js';
import { getCursor, saveCursor } from '../db/cursors.js';
import { unansweredHandoffs } from '../db/desk.js';
import type { Db, Dialect } from '../db/index.js';
import { withSharedTryLock } from '../db/locks.js';
import { alertTranscript } from '../db/messages.js';
import type { Logger } from '../log.js';
import type { PlaybookStore } from '../playbook/store.js';
import { createTicker, throttled } from './ticker.js';

/** How often handed-over conversations are checked; reminders are due in minutes, not seconds. */
export const HANDOFF_SWEEP_EVERY_MS = 30_000;
/** Where each shop's sweep remembers how far it got (platform_cursors: shop, channel, account). */
const CURSOR = { channel: 'xiaoer', account: 'handoff-reminder' } as const;

export interface HandoffReminderDeps {
  db: Db;
  dialect: Dialect;
  shops: ReadonlyMap<string, ShopConfig>;
  playbooks: PlaybookStore;
  log: Logger;
  now: () => number;
  /** After reminders were recorded: deliver them now. */
  onAlert: () => void;
}

/**
 * A handed-over customer nobody answered: staff are alerted again once the playbook's
 * handoff.remindStaffAfterMinutes have passed since the handoff with no one at the desk taking
 * it or replying (the first alert may have scrolled past in a busy group). Each shop's sweep
 * moves a stored cursor over handoff times in the same transaction as its alerts, so every
 * handoff is looked at once — across restarts, and across instances (one sweeps at a time).
 */
export function createHandoffReminder(deps: HandoffReminderDeps) {
  async function sweepShop(shop: ShopConfig, now: number): Promise<number> {
    const minutes = deps.playbooks.get(shop.id).settings.handoff.remindStaffAfterMinutes;
    const upTo = now - minutes * 60_000;
    return deps.db.transaction().execute(async (trx) => {
      const saved = await getCursor(trx, shop.id, CURSOR.channel, CURSOR.account);
      // First sweep: from now on (handoffs from before the service had reminders are not chased).
      const after = saved === null ? upTo : Number(saved);
      let reminded = 0;
      if (minutes > 0 && upTo > after) {
        for (const c of await unansweredHandoffs(trx, shop.id, after, upTo, now)) {
          const where = shop.desk ? `请尽快在接待台 /desk/${shop.id} 回复` : `请尽快在${c.channel}回复`;
          await insertAlert(trx, {
            shopId: shop.id, kind: 'handoff_waiting', rule: null, conversationKey: c.key, customerId: c.customerUserId,
            transcript: await alertTranscript(trx, c.id), at: now,
            text: `等待人工：顾客 ${c.customerName ?? c.customerUserId}（${c.channel}）转人工已超过 ${minutes} 分钟，还没有人回复。${where}。`,
          });
          reminded += 1;
        }
      }
      if (upTo > after || saved === null) await saveCursor(trx, shop.id, CURSOR.channel, CURSOR.account, String(Math.max(after, upTo)), now);
      return reminded;
    });
  }

  const ticker = createTicker(async () => {
    const now = deps.now();
    let reminded = 0;
    await withSharedTryLock(deps.db, deps.dialect, 'xiaoer:handoff-reminder', async () => {
      for (const shop of deps.shops.values()) reminded += await sweepShop(shop, now);
    });
    if (reminded > 0) {
      deps.log.info({ reminded }, 'staff reminded of customers waiting for a person');
      deps.onAlert();
    }
    return { handled: reminded, more: false };
  }, (err) => deps.log.error({ err }, 'handoff reminder sweep failed; the next one looks again'));

  return {
    /** Sweeps when HANDOFF_SWEEP_EVERY_MS have passed since the last sweep (`force`: now). */
    tick: throttled(ticker, HANDOFF_SWEEP_EVERY_MS, deps.now),
    idle: () => ticker.idle(),
  };
}
export type HandoffReminder = ReturnType<typeof createHandoffReminder>;
