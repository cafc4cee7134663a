import type { ShopConfig } from '../config/schema.js';
import { insertAlert } from '../db/alerts.js';
import { getCursor, saveCursor } from '../db/cursors.js';
import { unansweredHandoffs } from '../db/waiting.js';
import { alertTranscript } from '../db/messages.js';
import { isWithinHours, localTime } from '../engine/time.js';
import { createShopSweep } from './shop-sweep.js';
import type { ShopSweepDeps } from './shop-sweep.js';

/** How often handed-over conversations are checked; reminders are due in minutes, not seconds. */
export const HANDOFF_SWEEP_EVERY_MS = 30_000;
/** Where each shop's sweep remembers how far it got (platform_cursors: shop, channel, account). */
const CURSOR = { channel: 'xiaoer', account: 'handoff-reminder' } as const;

export type HandoffReminderDeps = ShopSweepDeps;

/**
 * A handed-over customer nobody answered: staff are alerted again once the playbook's
 * handoff.remindStaffAfterMinutes have passed since the handoff with no one at the desk taking
 * it or replying (the first alert may have scrolled past in a busy group) — for a handoff while
 * the shop was closed, that long after it opened. Each shop's sweep
 * moves a stored cursor over handoff times in the same transaction as its alerts, so every
 * handoff is looked at once — across restarts, and across instances (one sweeps at a time).
 */
export function createHandoffReminder(deps: HandoffReminderDeps) {
  async function sweepShop(shop: ShopConfig, now: number): Promise<number> {
    const minutes = deps.playbooks.get(shop.id).settings.handoff.remindStaffAfterMinutes;
    const upTo = now - minutes * 60_000;
    // Outside business hours nobody is there to remind, and the customer was told when people are
    // back: the night's handoffs wait (the cursor with them) until staff have been online that long.
    const { from, to } = shop.businessHours;
    const staffOnline = isWithinHours(localTime(now, shop.timezone).minutes, from, to) && isWithinHours(localTime(upTo, shop.timezone).minutes, from, to);
    return deps.db.transaction().execute(async (trx) => {
      const saved = await getCursor(trx, shop.id, CURSOR.channel, CURSOR.account);
      // First sweep: from now on (handoffs from before the service had reminders are not chased).
      const after = saved === null ? upTo : Number(saved);
      let reminded = 0;
      const sweep = staffOnline && upTo > after;
      if (minutes > 0 && sweep) {
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
      if (sweep || saved === null) await saveCursor(trx, shop.id, CURSOR.channel, CURSOR.account, String(Math.max(after, upTo)), now);
      return reminded;
    });
  }

  return createShopSweep(deps, {
    lock: 'xiaoer:handoff-reminder',
    everyMs: HANDOFF_SWEEP_EVERY_MS,
    perShop: sweepShop,
    queued: 'staff reminded of customers waiting for a person',
    failed: 'handoff reminder sweep failed; the next one looks again',
  });
}
export type HandoffReminder = ReturnType<typeof createHandoffReminder>;
