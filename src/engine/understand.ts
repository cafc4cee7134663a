import type { CompiledPlaybook } from '../playbook/compiled.js';
import type { Hit, Via } from '../nlu/matcher.js';
import { matchPhrases } from '../nlu/matcher.js';
import { normalize } from '../nlu/normalize.js';
import type { Normalized } from '../nlu/normalize.js';

export interface Candidate {
  intent: string;
  /** The best phrase's weight: its length, less for homophone / pinyin / abbreviation matches. */
  score: number;
  phrases: { phrase: string; via: Via }[];
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
 * resolves to one: intents the customer named in so many words before guessed ones, then the
 * highest priority (in the defaults: handoff, then opt-out, then complaint), then the
 * best-scoring phrase, then definition order.
 */
export function understand(text: string | null, playbook: Pick<CompiledPlaybook, 'intents' | 'nlu'>): Understood {
  return understandNormalized(text === null ? null : normalize(text), playbook);
}

/** The same, for a message already normalized (decide needs the normalized text for keywords too). */
export function understandNormalized(n: Normalized | null, playbook: Pick<CompiledPlaybook, 'intents' | 'nlu'>): Understood {
  if (n === null || playbook.intents.length === 0) return NOTHING;
  const hits = matchPhrases(playbook.nlu, n);
  if (hits.length === 0) return NOTHING;
  const best = new Map<number, { score: number; exact: boolean; hits: Hit[] }>();
  for (const h of hits) {
    if (h.entry.type !== null) continue;
    const b = best.get(h.entry.intent) ?? { score: 0, exact: false, hits: [] };
    b.score = Math.max(b.score, h.score);
    b.exact ||= h.via === 'exact' || h.via === 'english';
    b.hits.push(h);
    best.set(h.entry.intent, b);
  }
  if (best.size === 0) return NOTHING;
  const ranked = [...best.entries()].map(([i, b]) => ({ def: playbook.intents[i]!, ...b }))
    // The customer's own words beat a guess: an intent found by exact phrases outranks one found
    // only by homophone, pinyin or abbreviation; then priority, score and definition order.
    .sort((a, b) => Number(b.exact) - Number(a.exact) || b.def.priority - a.def.priority || b.score - a.score || a.def.order - b.def.order);
  const winner = ranked[0]!;
  const typeScores = new Map<string, number>();
  for (const h of hits) {
    if (h.entry.type !== null && h.entry.intent === winner.def.order) typeScores.set(h.entry.type, (typeScores.get(h.entry.type) ?? 0) + h.score);
  }
  let type: string | null = null;
  let top = 0;
  for (const t of winner.def.types) {
    const score = typeScores.get(t.name) ?? 0;
    if (score > top) {
      top = score;
      type = t.name;
    }
  }
  return {
    intent: winner.def.name,
    type,
    candidates: ranked.map((r) => ({ intent: r.def.name, score: r.score, phrases: r.hits.map((h) => ({ phrase: h.entry.phrase, via: h.via })) })),
  };
}
