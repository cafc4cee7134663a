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

/** Notices per rolled-back transaction (each ~0.2 ms of the writer's time). */
const PREVIEW_CHUNK = 200;

class Rollback extends Error {}

/**
 * What `xiaoer notify` would do, found by doing it: each notice runs as its job will when due
 * (the rule's conditions, opt-outs, caps, the platform's reply window) in transactions that are
 * then rolled back, so nothing is queued, sent or changed. A rule still switched off is previewed
 * as if on, so staff can read its text before they switch it on.
 */
export async function previewNotices(
  db: Kysely<Database>, shop: ShopConfig, playbook: CompiledPlaybook, rule: CompiledRule, targets: readonly NoticeTarget[], random: () => number,
): Promise<NoticePreview> {
  const preview: NoticePreview = { send: 0, held: new Map(), samples: [] };
  const hold = (reason: string) => preview.held.set(reason, (preview.held.get(reason) ?? 0) + 1);
  const asOn = rule.enabled ? playbook : { ...playbook, rules: playbook.rules.map((r) => (r === rule ? { ...r, enabled: true } : r)) };
  // Short rolled-back transactions: the running service writes to the same database meanwhile
  // (SQLite has one writer, and a webhook waits for it).
  for (let from = 0; from < targets.length; from += PREVIEW_CHUNK) {
    try {
      await db.transaction().execute(async (trx) => {
        for (const [j, t] of targets.slice(from, from + PREVIEW_CHUNK).entries()) {
          const subject = t.order ? forOrder(t.order) : { channel: t.channel, userId: t.userId, name: t.name, order: null };
          const r = await runProactive(trx, shop, asOn, subject, { event: 'schedule', rule: rule.name }, `preview:${from + j}`, t.dueAt, random);
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
  }
  return preview;
}
