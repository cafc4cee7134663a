import type { ShopConfig } from '../config/schema.js';
import { emptyState } from '../db/conversations.js';
import type { PastMessage } from '../db/replay.js';
import type { CompiledPlaybook } from '../playbook/compiled.js';
import type { Channel } from '../types/index.js';
import { decide, FALLBACK_RULE } from './decide.js';

/** How a message is answered, as staff compare it: the rules that reply, a handoff, or nothing. */
export interface Answer {
  /** e.g. "快递", "议价-首轮 + 发货时间", "(fallback)", "转人工 → a person", "(no reply)" */
  label: string;
  understood: boolean;
}

export type ChangeKind = 'now understood' | 'no longer understood' | 'another answer';

export interface ReplayChange {
  kind: ChangeKind;
  text: string;
  before: Answer;
  after: Answer;
  /** How many of the replayed messages said exactly this and changed the same way. */
  count: number;
}

export interface ReplayResult {
  replayed: number;
  same: number;
  changes: ReplayChange[];
}

/**
 * Reads each past customer message with two versions of the playbooks, in the same context for
 * both (its time, whether it opened its conversation, the customer's name, first visit, tags and
 * tier; no slots, no earlier answers, no order), so every difference is the edit's own doing.
 * Identical messages with the same change are counted once, most frequent first.
 */
export function replay(shop: ShopConfig, messages: readonly PastMessage[], before: CompiledPlaybook, after: CompiledPlaybook): ReplayResult {
  const changes = new Map<string, ReplayChange>();
  let same = 0;
  for (const m of messages) {
    const a = answerOf(shop, before, m);
    const b = answerOf(shop, after, m);
    if (a.label === b.label) {
      same += 1;
      continue;
    }
    const kind: ChangeKind = !a.understood && b.understood ? 'now understood' : a.understood && !b.understood ? 'no longer understood' : 'another answer';
    const key = `${m.text}\0${a.label}\0${b.label}`;
    const known = changes.get(key);
    if (known) known.count += 1;
    else changes.set(key, { kind, text: m.text, before: a, after: b, count: 1 });
  }
  return { replayed: messages.length, same, changes: [...changes.values()].sort((x, y) => y.count - x.count) };
}

function answerOf(shop: ShopConfig, playbook: CompiledPlaybook, m: PastMessage): Answer {
  const d = decide({
    shop, playbook, message: { text: m.text, kind: 'text', channel: m.channel as Channel },
    customer: m.customer, conversation: { isNew: m.opened }, state: emptyState(), now: new Date(m.at), random: () => 0,
  });
  const rules = [...new Set(d.replies.map((r) => r.rule))];
  // A guess (no phrase, likeness to examples) is a less certain answer than the same rule by phrase: staff see which.
  const guessed = d.understood.resembled !== undefined && rules.length ? ' (by likeness)' : '';
  const parts = rules.length ? [rules.join(' + ') + guessed] : [];
  if (d.handoff) parts.push(`${d.handoff.rule} → 转人工`);
  const label = parts.length ? parts.join('; ') : d.fired.length ? `${d.fired.join(' + ')} (no reply)` : '(no reply)';
  // Understood: some rule other than the fallback answered it, or it went to a person on purpose.
  const understood = rules.some((r) => r !== FALLBACK_RULE) || (d.handoff !== null && d.understood.intent !== null);
  return { label, understood };
}
