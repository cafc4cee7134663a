import type { ShopConfig } from '../config/schema.js';
import { emptyState } from '../db/conversations.js';
import { decide, FALLBACK_RULE } from '../engine/decide.js';
import { hhmmToMinutes, localDayStart, localTime } from '../engine/time.js';
import type { CompiledPlaybook } from '../playbook/compiled.js';

/** An example order for `--order STATE`: what the order-reading rules' texts are shown with. */
const EXAMPLE_ORDER = { id: '4012345678', total: 99, items: [{ title: '纯棉T恤', qty: 1, price: 99 }], courier: '中通快递', trackingNo: 'ZT1234567890' };

/**
 * What the bot would answer, for `xiaoer explain`: the engine itself on one message from a
 * customer first seen today, mid-conversation, nothing pending — the rules that fire with their
 * file:line, the texts (first variation), and any handoff or staff alert.
 */
export function writeAnswer(
  out: NodeJS.WritableStream, shop: ShopConfig, playbook: CompiledPlaybook, text: string, o: { time?: string | undefined; order?: string | undefined },
): void {
  let now = new Date();
  if (o.time) {
    const local = localTime(now.getTime(), shop.timezone);
    now = new Date(localDayStart(now.getTime(), local) + hhmmToMinutes(o.time) * 60_000);
  }
  const d = decide({
    shop, playbook, message: { text, kind: 'text', channel: 'local' },
    ...(o.order ? { order: { ...EXAMPLE_ORDER, state: o.order, signedAt: o.order === 'signed' || o.order === 'reviewed' ? now.getTime() - 86_400_000 : null } } : {}),
    customer: { name: null, firstSeenAt: now.getTime(), tags: [], tier: null },
    conversation: { isNew: false }, state: emptyState(), now, random: () => 0,
  });
  const at = localTime(now.getTime(), shop.timezone);
  const hh = String(Math.floor(at.minutes / 60)).padStart(2, '0');
  const mm = String(at.minutes % 60).padStart(2, '0');
  out.write(`answer:      (a customer first seen today, mid-chat, at ${hh}:${mm}${o.order ? `, latest order ${o.order}` : ', no known order'})\n`);
  const where = (rule: string) => {
    const r = playbook.rules.find((x) => x.name === rule);
    return r ? `${r.file}:${r.line}` : 'fallback';
  };
  if (d.replies.length === 0 && !d.handoff) out.write(`  ${d.fired.length ? `${d.fired.join(', ')} (${where(d.fired[0]!)}): no reply` : '(no rule fired, no fallback)'}\n`);
  for (const r of d.replies) out.write(`  ${r.rule === FALLBACK_RULE ? FALLBACK_RULE : `${r.rule} (${where(r.rule)})`} → ${r.response}: ${r.text}\n`);
  if (d.handoff) out.write(`  hands off to a person: ${d.handoff.reason} (rule ${d.handoff.rule})\n`);
  for (const a of d.alerts) out.write(`  alerts staff: ${a.text}\n`);
}
