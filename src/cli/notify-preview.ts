import type { Kysely } from 'kysely';
import type { ShopConfig } from '../config/schema.js';
import type { OrderRow } from '../db/orders.js';
import type { Database } from '../db/schema.js';
import { forOrder, runProactive } from '../orders/ingest.js';
import type { CompiledPlaybook, CompiledRule } from '../playbook/compiled.js';

/** One notice as it would be queued: to whom, about which order, when. */
export interface NoticeTarget {
  channel: string;
  userId: string;
  name: string | null;
  order: OrderRow | null;
  dueAt: number;
}

export interface NoticePreview {
  /** Would go out. */
  send: number;
  /** Would not, by reason (most first when printed). */
  held: Map<string, number>;
  /** A few of the texts that would go out, each once, with whom they are for. */
  samples: { to: string; text: string }[];
}

/** Texts shown: enough to see the rule's variations, not a whole audience. */
const PREVIEW_SAMPLES = 3;

class Rollback extends Error {}

/**
 * What `xiaoer notify` would do, found by doing it: each notice runs as its job will when due
 * (the rule's conditions, opt-outs, caps, the platform's reply window) in one transaction that is
 * then rolled back, so nothing is queued, sent or changed. A rule still switched off is previewed
 * as if on, so staff can read its text before they switch it on.
 */
export async function previewNotices(
  db: Kysely<Database>, shop: ShopConfig, playbook: CompiledPlaybook, rule: CompiledRule, targets: readonly NoticeTarget[], random: () => number,
): Promise<NoticePreview> {
  const preview: NoticePreview = { send: 0, held: new Map(), samples: [] };
  const hold = (reason: string) => preview.held.set(reason, (preview.held.get(reason) ?? 0) + 1);
  const asOn = rule.enabled ? playbook : { ...playbook, rules: playbook.rules.map((r) => (r === rule ? { ...r, enabled: true } : r)) };
  try {
    await db.transaction().execute(async (trx) => {
      for (const [i, t] of targets.entries()) {
        const subject = t.order ? forOrder(t.order) : { channel: t.channel, userId: t.userId, name: t.name, order: null };
        const r = await runProactive(trx, shop, asOn, subject, { event: 'schedule', rule: rule.name }, `preview:${i}`, t.dueAt, random);
        if (!r.fired.length) {
          hold(`its conditions do not hold for them (when: at ${rule.file}:${rule.line})`);
          continue;
        }
        for (const h of r.held) hold(h.until === undefined ? h.reason : `${h.reason}: later`);
        if (!r.queued.length) continue;
        preview.send += 1;
        for (const reply of r.decision.replies) {
          if (preview.samples.length < PREVIEW_SAMPLES && !preview.samples.some((s) => s.text === reply.text)) {
            preview.samples.push({ to: `${t.name ?? t.userId}（${t.channel}）`, text: reply.text });
          }
        }
      }
      throw new Rollback();
    });
  } catch (err) {
    if (!(err instanceof Rollback)) throw err;
  }
  return preview;
}
