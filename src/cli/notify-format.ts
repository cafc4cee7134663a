import type { ShopConfig } from '../config/schema.js';
import { localStamp } from '../engine/time.js';
import type { CompiledRule } from '../playbook/compiled.js';
import type { NoticePreview } from './notify-preview.js';

/** What staff asked `xiaoer notify` for, as the output repeats it back. */
export interface NoticePlan {
  rule: CompiledRule;
  shop: ShopConfig;
  count: number;
  /** The audience in words: "all customers, seen within 90d". */
  who: string;
  start: number;
  overMs: number;
  due: readonly number[];
}

export function formatPreview(p: NoticePlan, preview: NoticePreview): string {
  const heldCount = [...preview.held.values()].reduce((a, b) => a + b, 0);
  const width = String(p.count).length;
  const lines = [
    `${p.rule.name} — a preview, nothing queued${p.rule.enabled ? '' : ` (switched off: set enabled: true in ${p.rule.file}:${p.rule.line} to send it)`}`,
    `${p.count} customer(s): ${p.who}`,
    `  would send  ${String(preview.send).padStart(width)}`,
    `  held back   ${String(heldCount).padStart(width)}`,
    ...[...preview.held].sort((a, b) => b[1] - a[1]).map(([reason, n]) => `    ${String(n).padStart(width)}  ${reason}`),
    timing(p),
    ...preview.samples.map((s) => `e.g. to ${s.to}: ${s.text}`),
  ];
  if (p.count > 0 && preview.send === 0) lines.push('nobody would get it: see the reasons above');
  return `${lines.join('\n')}\n`;
}

export function formatQueued(p: NoticePlan, queued: number): string {
  const again = p.count - queued;
  const cli = `xiaoer notify --shop ${p.shop.id} --rule ${p.rule.name}`;
  return [
    `${p.rule.name}: ${queued} notice(s) queued for ${p.who}${again ? ` (${again} queued already today: not again)` : ''}`,
    timing(p),
    'Sent by the running service; each is checked again when due (the rule\'s conditions, 退订, quiet hours, caps).',
    `  ${cli} --status    how it stands`,
    `  ${cli} --cancel    stop the ones not yet sent`,
  ].join('\n') + '\n';
}

function timing(p: NoticePlan): string {
  const tz = p.shop.timezone;
  const q = p.shop.respect.quietHours;
  const quiet = q.from === q.to ? '' : ` (quiet hours ${q.from}–${q.to} not counted)`;
  if (p.count === 0) return 'nobody to send to';
  const first = Math.min(...p.due);
  const last = Math.max(...p.due);
  if (p.overMs === 0) return `all at ${localStamp(first, tz)}${first > p.start ? ` (after quiet hours ${q.from}–${q.to})` : ''}`;
  const perHour = Math.round((p.count / p.overMs) * 3_600_000);
  return `spread at random over ${span(p.overMs)}${quiet}, from ${localStamp(p.start, tz)}: between ${localStamp(first, tz)} and ${localStamp(last, tz)}, about ${perHour} an hour`;
}

function span(ms: number): string {
  const min = Math.round(ms / 60_000);
  if (min < 60) return `${min} min`;
  const h = Math.floor(min / 60);
  return min % 60 ? `${h} h ${min % 60} min` : `${h} h`;
}
