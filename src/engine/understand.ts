import type { CompiledIntent } from '../playbook/compiled.js';
import { findPhrases, foldText } from '../playbook/compiled.js';

export interface Candidate {
  intent: string;
  /** Length of the longest phrase found: longer phrases are more specific. */
  score: number;
  phrases: string[];
}

export interface Understood {
  intent: string | null;
  /** The recognised sub-type (for bargain: the bargainer type), or null. */
  type: string | null;
  candidates: Candidate[];
}

export const NOTHING: Understood = { intent: null, type: null, candidates: [] };

/**
 * What the customer wants, by the shop's intent phrases. A message with several wishes
 * resolves to one: the intent with the highest priority (handoff and complaint are set
 * highest in the defaults), then the most specific phrase, then definition order.
 */
export function understand(text: string | null, intents: readonly CompiledIntent[]): Understood {
  if (text === null || intents.length === 0) return NOTHING;
  const folded = foldText(text);
  const candidates: (Candidate & { def: CompiledIntent })[] = [];
  for (const def of intents) {
    const phrases = findPhrases(def.phrases, folded, def.negatable);
    if (phrases.length) candidates.push({ intent: def.name, score: phrases[0]!.length, phrases, def });
  }
  if (candidates.length === 0) return NOTHING;
  candidates.sort((a, b) => b.def.priority - a.def.priority || b.score - a.score || a.def.order - b.def.order);
  const winner = candidates[0]!.def;
  let type: string | null = null;
  let best = 0;
  for (const t of winner.types) {
    const found = findPhrases(t.phrases, folded, false);
    const score = found.reduce((n, p) => n + p.length, 0);
    if (score > best) {
      best = score;
      type = t.name;
    }
  }
  return { intent: winner.name, type, candidates: candidates.map(({ intent, score, phrases }) => ({ intent, score, phrases })) };
}
