import type { CompiledPlaybook } from '../playbook/compiled.js';
import { perPlaybook } from '../playbook/derived.js';
import { DEFAULT_SUGGEST_MIN_SCORE } from '../playbook/schema.js';
import { buildSimilarIndex } from '../nlu/similar.js';
import type { Similar, SimilarIndex } from '../nlu/similar.js';
import type { Understood } from './understand.js';

/**
 * "您是想问…" — after a miss, the questions the message most resembles (domain.md §11: a bot that
 * cannot answer should not leave the customer guessing how to ask), and reading the customer's
 * pick from their next message. Offered only when the closest intent is one the shop lets the
 * bot offer (has an `ask`): a message most like a complaint or a request for a person gets the
 * plain fallback, never a menu of FAQ.
 */

/** How alike a missed message must be to an intent to be offered it: the shop's fallback.suggest.minScore. */
export function suggestMinScore(playbook: CompiledPlaybook): number {
  return playbook.fallback?.suggest?.minScore ?? DEFAULT_SUGGEST_MIN_SCORE;
}

/** Phrases and examples of every intent, indexed once per playbook. Regex phrases are not text; "a…b" phrases count as "ab". */
const similarIndex = perPlaybook((playbook): SimilarIndex => buildSimilarIndex([
  ...playbook.intents.flatMap((i) => i.phrases.filter((p) => !/^\/.+\/$/.test(p)).map((p) => ({ intent: i.name, text: p.replace(/…|\.\.\./g, ''), written: p }))),
  ...playbook.examples,
]));

/**
 * Builds the index now (~80 ms for the default playbooks), so the first customer the bot does not
 * understand after a start or an edit does not wait for it. No-op for a playbook without suggest.
 */
export function warmSuggestions(playbook: CompiledPlaybook): void {
  if (playbook.fallback?.suggest) similarIndex(playbook);
}

/** The last message ranked, per playbook: a miss is ranked for a guess and then again for the list. */
const lastRanked = new WeakMap<CompiledPlaybook, { text: string; ranked: readonly Similar[] }>();

/** Every intent the message resembles at all, closest first, with its score (for explain). Not to be changed by callers. */
export function similarIntents(playbook: CompiledPlaybook, text: string): readonly Similar[] {
  const last = lastRanked.get(playbook);
  if (last?.text === text) return last.ranked;
  const ranked = similarIndex(playbook).rank(text);
  lastRanked.set(playbook, { text, ranked });
  return ranked;
}

const askOf = perPlaybook((playbook) => new Map(playbook.intents.flatMap((i) => (i.ask === undefined ? [] : [[i.name, i.ask] as const]))));

/** The question an intent is offered as (its `ask`: 什么时候发货？), how staff read it; undefined without one. */
export function askFor(playbook: CompiledPlaybook, intent: string): string | undefined {
  return askOf(playbook).get(intent);
}

/**
 * How much more alike to its closest intent than to the next a message must be for a guess to
 * answer it: two intents nearly as alike are a choice for the customer (您是想问), not the bot.
 */
export const RESEMBLANCE_MARGIN = 0.2;
/**
 * How much of its closest example a message must say for a guess to answer it: a slip of the keys
 * (么时候发货) says most of 什么时候发货; the start of a sentence (我昨天下的单, 刚才那单) is close
 * to an example that goes on to the question (…今天降价了) but has not asked it yet.
 */
export const RESEMBLANCE_COVERAGE = 0.7;

/**
 * Intents a guess may answer: ones the shop offers (an `ask`) and none of whose rules hands the
 * chat over, stops or resumes messages or alerts staff — those take the customer's own words.
 */
const guessable = perPlaybook((playbook): ReadonlySet<string> => {
  const weighty = new Set<string>();
  for (const r of playbook.rules) {
    if (r.intents && r.actions.some((a) => 'handoff' in a || 'optOut' in a || 'optIn' in a || 'alert' in a)) for (const i of r.intents) weighty.add(i);
  }
  return new Set([...askOf(playbook).keys()].filter((i) => !weighty.has(i)));
});

/** Whether a guess may answer this intent (an `ask`, and no rule of it hands over, opts out or alerts staff). */
export function mayGuess(playbook: CompiledPlaybook, intent: string): boolean {
  return guessable(playbook).has(intent);
}

/** `understood`, with the intent a confident guess gives (resembledIntent) when no phrase matched. */
export function withGuess(playbook: CompiledPlaybook, text: string, understood: Understood): Understood {
  if (understood.intent !== null) return understood;
  const guess = resembledIntent(playbook, text, understood.negated);
  return guess ? { ...understood, intent: guess.intent, resembled: guess.score } : understood;
}

/**
 * 您是想问 without the question: a message no phrase recognised, alike enough to one offerable
 * intent (fallback.suggest.answerAbove) and clearly more than to any other, is answered as that
 * intent (店小蜜's 高置信度直接回答; below it the list, lower still the plain fallback), if it also says
 * most of the example it is like (RESEMBLANCE_COVERAGE). Null when
 * the shop has not set answerAbove, or when the guess is unsure, not allowed, or said not to be meant.
 */
export function resembledIntent(playbook: CompiledPlaybook, text: string, negated: readonly string[] = []): { intent: string; score: number } | null {
  const first = likelyGuess(playbook, text, negated);
  return first && saysNot(text) === saysNot(first.example) ? first : null;
}

/**
 * The guess but for the "not" check: for explain, which says why a message this alike was not
 * answered (the example it is like says the opposite).
 */
export function likelyGuess(playbook: CompiledPlaybook, text: string, negated: readonly string[] = []): Similar | null {
  const above = playbook.fallback?.suggest?.answerAbove;
  if (above === undefined) return null;
  const [first, second] = similarIntents(playbook, text);
  if (!first || first.score < above || first.covers < RESEMBLANCE_COVERAGE || first.score - (second?.score ?? 0) < RESEMBLANCE_MARGIN) return null;
  if (!guessable(playbook).has(first.intent) || negated.includes(first.intent)) return null;
  return first;
}

/**
 * Whether a text says "not" (不想要, 没收到, 别发): a message one 不 short of an example means the
 * opposite however alike it is (刚才那单我想要了 against 刚才那单我不想要了怎么弄: keep the order, not
 * cancel it), so a guess needs both to agree. Not the 不 of a question's 要不要 / 能不能 or of set
 * words that say no "not" (不错, 不好意思, 差不多). Wrongly refusing costs the customer a 您是想问 list;
 * wrongly answering, the opposite of what they asked.
 */
export function saysNot(text: string): boolean {
  // A phrase's closing 不 (付款页面…不) is followed by whatever the customer writes: no question mark.
  const asked = /…|\.\.\./.test(text) ? text : text.replace(QUESTION_NOT, '');
  return NEGATION.test(asked.replace(NOT_NEGATIONS, ''));
}
const NEGATION = /[不没沒别別无無未甭勿]/u;
/** 有没有 · 会不会 · 好不好: A-not-A asks; and set words with a 不 that says no "not". */
const NOT_NEGATIONS = /(.)[不没沒]\1|不错|不錯|不好意思|差不多|不客气|不客氣|无论|無論/gu;
/** A closing 不 / 没 / 没有 is a question mark said aloud: 有现货没, 支持货到付款不, 发了没有？ */
const QUESTION_NOT = /[不没沒]有?[\s?？。.!！~～呀啊呢]*$/u;

/**
 * The intents to offer for a missed message, best first. None when it resembles nothing
 * offerable, or most resembles what the customer said they do not want (`negated`: 我不是要退货
 * is not answered with 怎么退换货？ — we know what they don't mean, not what they do).
 */
export function suggestionsFor(playbook: CompiledPlaybook, text: string, negated: readonly string[] = []): string[] {
  const max = playbook.fallback?.suggest?.max ?? 0;
  if (max === 0) return [];
  const asks = askOf(playbook);
  const minScore = suggestMinScore(playbook);
  const ranked = similarIntents(playbook, text).filter((s) => s.score >= minScore);
  if (ranked.length === 0 || !asks.has(ranked[0]!.intent) || negated.includes(ranked[0]!.intent)) return [];
  return ranked.filter((s) => asks.has(s.intent) && !negated.includes(s.intent)).slice(0, max).map((s) => s.intent);
}

/** The numbered list the suggest reply shows as {{suggestions}}: "1. 什么时候发货？", one per line. */
export function suggestionList(playbook: CompiledPlaybook, intents: readonly string[]): string {
  const asks = askOf(playbook);
  return intents.map((intent, i) => `${i + 1}. ${asks.get(intent) ?? intent}`).join('\n');
}

const NUMERALS: Record<string, number> = { 一: 1, 二: 2, 两: 2, 三: 3, 四: 4, 五: 5 };
/** 2 · 2. · 第二个 · 选2 · 就是第一个吧 — a number and little else. */
const PICK = /^(?:选|是|就是|我选|要)?第?\s*([1-5一二两三四五])\s*(?:个|個|条|條|号|號|项|項|种|種)?\s*(?:吧|啊|呀|的|哦|呢)?[\s。.!！~～]*$/u;

/** The intent the customer picked from the list they were offered, by number or by repeating the question; else null. */
export function pickedSuggestion(playbook: CompiledPlaybook, text: string | null, offered: readonly string[]): string | null {
  if (text === null) return null;
  const trimmed = text.normalize('NFKC').trim();
  const m = PICK.exec(trimmed);
  if (m) {
    const n = NUMERALS[m[1]!] ?? Number(m[1]);
    return offered[n - 1] ?? null;
  }
  const asks = askOf(playbook);
  const bare = (s: string) => s.replace(/[\s？?。.!！~～]/g, '');
  return offered.find((intent) => bare(asks.get(intent) ?? '') === bare(trimmed)) ?? null;
}
