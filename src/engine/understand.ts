import type { CompiledPlaybook } from '../playbook/compiled.js';
import type { Hit, Via } from '../nlu/matcher.js';
import { isLiteral, matchPhrases } from '../nlu/matcher.js';
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
  /**
   * Other questions asked in their own clauses of the same message (包邮吗？什么时候发货),
   * in the order asked; `before`: asked before the main one. Only the customer's own words
   * count here (no sound-alikes), and never an intent marked `alone`.
   */
  also: { intent: string; before: boolean }[];
  /**
   * Besides a greeting or farewell (an `alone` intent), the message asks something no intent
   * knows (你好，这个适合送男朋友吗): answering the greeting alone would leave it unheard.
   */
  unheard?: boolean;
  /** Intents the customer said in so many words they do not want (不用转人工, 我不是要退货); never offered as a guess. */
  negated?: string[];
  /** No phrase matched: the intent was taken from the message's likeness to its examples (src/engine/suggest.ts resembledIntent), this alike (0–1). */
  resembled?: number;
}

export const NOTHING: Understood = { intent: null, type: null, candidates: [], also: [] };

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
  const negatedAt = new Set<number>();
  const hits = matchPhrases(playbook.nlu, n, negatedAt);
  if (hits.length === 0) return negatedAt.size ? { ...NOTHING, negated: [...negatedAt].map((i) => playbook.intents[i]!.name) } : NOTHING;
  const best = new Map<number, { score: number; exact: boolean; hits: Hit[] }>();
  for (const h of hits) {
    if (h.entry.type !== null) continue;
    const b = best.get(h.entry.intent) ?? { score: 0, exact: false, hits: [] };
    b.score = Math.max(b.score, h.score);
    b.exact ||= isLiteral(h.via);
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
    also: otherQuestions(n.text, ranked),
    ...(winner.def.alone && ranked.length === 1 && asksMore(n.text, hits) ? { unheard: true } : {}),
  };
}

/** Han characters a question beside a greeting needs to count (你好 在吗 is one greeting, not two). */
const MIN_UNHEARD_HAN = 4;

/**
 * Whether the words outside the phrases found ask a question of their own. Only for plain
 * phrases matched as written: a gap, pattern or sound-alike match has no exact span to cut out.
 */
function asksMore(text: string, hits: readonly Hit[]): boolean {
  const covered = new Array<boolean>(text.length).fill(false);
  for (const h of hits) {
    if (h.via !== 'exact' || h.entry.parts !== null || h.entry.phrase.startsWith('/')) return false;
    for (let i = h.at; i < h.at + h.entry.length && i < text.length; i++) covered[i] = true;
  }
  const rest = text.split('').filter((_, i) => !covered[i]).join(''); // UTF-16 units, as hit offsets are
  return QUESTION.test(rest) && [...rest].filter((c) => HAN_CHAR.test(c)).length >= MIN_UNHEARD_HAN;
}

type Ranked = { def: { name: string; alone: boolean }; exact: boolean; hits: Hit[] };

/** The best intent of each clause the winner (ranked[0]) is not in, in clause order. */
function otherQuestions(text: string, ranked: readonly Ranked[]): Understood['also'] {
  if (ranked.length < 2) return [];
  const starts = clauseStarts(text);
  if (starts.length < 2) return [];
  const clauseOf = (at: number) => {
    let c = 0;
    while (c + 1 < starts.length && starts[c + 1]! <= at) c++;
    return c;
  };
  const winnerClauses = new Set(ranked[0]!.hits.map((h) => clauseOf(h.at)));
  const firstOfWinner = Math.min(...winnerClauses);
  const also: Understood['also'] = [];
  for (let c = 0; c < starts.length; c++) {
    // A statement beside the request (这款没货了，有货了告诉我) is context, not a second question.
    if (winnerClauses.has(c) || !QUESTION.test(text.slice(starts[c]!, starts[c + 1] ?? text.length))) continue;
    const best = ranked.slice(1).find((r) => r.exact && !r.def.alone
      && r.hits.some((h) => isLiteral(h.via) && clauseOf(h.at) === c));
    if (best && !also.some((a) => a.intent === best.def.name)) also.push({ intent: best.def.name, before: c < firstOfWinner });
  }
  return also;
}

const HAN_CHAR = /\p{Script=Han}/u;
/** Words that make a clause a question (its ？ is gone after normalizing). */
const QUESTION = /吗|么|嘛|什么|多少|几|怎么|怎样|如何|哪|啥|为什么|多久|是不是|能不能|可不可以|有没有|要不要|会不会|行不行/u;

/**
 * Where the clauses of a normalized message start: after a space (punctuation became spaces)
 * next to a Chinese character. Spaces between Latin words are not clause breaks: "too expensive".
 */
function clauseStarts(text: string): number[] {
  const starts = [0];
  for (let i = 1; i < text.length - 1; i++) {
    if (text[i] === ' ' && (HAN_CHAR.test(text[i - 1]!) || HAN_CHAR.test(text[i + 1]!))) starts.push(i + 1);
  }
  return starts;
}
