import type { Template } from '../engine/template.js';
import type { IntentIndex } from '../nlu/matcher.js';
import { LATIN_PHRASE, negated, negatedEnglish, wholeWordRegex } from '../nlu/matcher.js';
import { insideLongerWord, normalizePhrase } from '../nlu/normalize.js';
import type { Normalized } from '../nlu/normalize.js';
import type { ActionSpec } from './schema.js';

/** Phrases compiled for matching: CJK as substrings (no spaces to split on), Latin as whole words. */
export interface PhraseSet {
  readonly cjk: readonly string[];
  readonly latin: readonly { readonly phrase: string; readonly re: RegExp }[];
}

export interface CompiledIntent {
  readonly name: string;
  readonly priority: number;
  readonly order: number;
  readonly negatable: boolean;
  /** Never answered as a message's second question (see intentSchema). */
  readonly alone: boolean;
  /** The customer says the bot's last answer missed: answered, and counted as a miss (see intentSchema). */
  readonly miss: boolean;
  /** normalized, synonyms expanded */
  readonly phrases: readonly string[];
  readonly types: readonly { readonly name: string; readonly phrases: readonly string[] }[];
  /** How the intent is offered when the bot guesses (您是想问…); absent: never offered. */
  readonly ask?: string;
}

/** A playbook after validation: regexes built, keywords folded, rules in firing order. Built once per load. */
export interface CompiledRule {
  readonly name: string;
  readonly priority: number;
  /** Position in load order (file name, then place in file): the tie-break staff can see. */
  readonly order: number;
  readonly file: string;
  readonly line: number;
  readonly event: string;
  readonly enabled: boolean;
  readonly category: 'care' | 'marketing';
  /** ms; follow-ups of this rule due longer ago are dropped */
  readonly staleAfterMs: number | undefined;
  readonly orderStates: ReadonlySet<string> | undefined;
  readonly rating: { readonly atLeast?: number; readonly atMost?: number } | undefined;
  readonly reviewWindow: 'open' | 'closed' | undefined;
  readonly exceptions: ReadonlySet<string> | undefined;
  readonly paidElsewhere: boolean | undefined;
  readonly boughtAgain: boolean | undefined;
  /** Folded words, one of which an item title of the order must contain. */
  readonly items: readonly string[] | undefined;
  readonly orderTotal: { readonly atLeast?: number; readonly atMost?: number } | undefined;
  readonly intents: ReadonlySet<string> | undefined;
  readonly bargainers: ReadonlySet<string> | undefined;
  readonly keywords: PhraseSet | undefined;
  readonly regex: readonly RegExp[];
  readonly returning: boolean | undefined;
  readonly hours: 'open' | 'closed' | undefined;
  readonly kinds: ReadonlySet<string> | undefined;
  readonly channels: ReadonlySet<string> | undefined;
  readonly tags: readonly string[];
  readonly notTags: readonly string[];
  readonly tiers: ReadonlySet<string> | undefined;
  readonly purchases: { readonly atLeast?: number; readonly atMost?: number; readonly withinMs?: number } | undefined;
  readonly styles: ReadonlySet<string> | undefined;
  readonly slots: readonly (readonly [string, string | null])[];
  readonly expecting: ReadonlySet<string> | undefined;
  readonly fired: {
    readonly rules: readonly string[]; readonly lessThan: number | undefined; readonly atLeast: number | undefined; readonly withinMs: number | undefined;
  } | undefined;
  readonly giftAvailable: boolean | undefined;
  readonly limit: { readonly times: number; readonly per: 'conversation' | 'day' } | undefined;
  /** Runs only for a customer waiting for a person (when.waiting), and then only such rules run. */
  readonly waiting: boolean;
  /** ms after a firing before the rule may fire again in the conversation */
  readonly cooldownMs: number | undefined;
  readonly continue: boolean;
  readonly actions: readonly ActionSpec[];
}

export interface CompiledResponse {
  readonly name: string;
  readonly variations: readonly Template[];
}

export interface CompiledSettings {
  readonly handoff: { readonly afterMisses: number; readonly silenceMinutes: number; readonly remindStaffAfterMinutes: number };
  readonly forbiddenPhrases: readonly string[];
}

export interface CompiledPlaybook {
  readonly intents: readonly CompiledIntent[];
  /** The intents' phrases indexed for matching (src/nlu). */
  readonly nlu: IntentIndex;
  readonly rules: readonly CompiledRule[];
  readonly responses: ReadonlyMap<string, CompiledResponse>;
  readonly fallback: CompiledFallback | null;
  /** Whole customer messages per intent (`examples:`), for guessing what a message no phrase recognises meant. */
  readonly examples: readonly { readonly intent: string; readonly text: string }[];
  readonly settings: CompiledSettings;
  readonly files: readonly string[];
}

export interface CompiledFallback {
  readonly reply: string;
  /** Offer the intents a missed message resembles (src/engine/suggest.ts). */
  readonly suggest?: { readonly reply: string; readonly max: number; readonly minScore: number; readonly answerAbove?: number };
}

export { foldText } from './fold.js';


/** Folds, expands synonyms (one level) and splits phrases into substring and whole-word matchers. */
export function compilePhrases(phrases: readonly string[], synonyms: ReadonlyMap<string, readonly string[]>): PhraseSet {
  const all = new Set<string>();
  for (const raw of phrases) {
    const p = normalizePhrase(raw);
    all.add(p);
    for (const [word, alts] of synonyms) {
      if (!p.includes(word)) continue;
      for (const alt of alts) all.add(p.split(word).join(alt));
    }
  }
  const cjk: string[] = [];
  const latin: { phrase: string; re: RegExp }[] = [];
  for (const p of all) {
    if (LATIN_PHRASE.test(p)) latin.push({ phrase: p, re: wholeWordRegex(p) });
    else cjk.push(p);
  }
  return { cjk, latin };
}

/** The phrases of a set found in a normalized message (whole words, not inside longer ones), longest first. */
export function findPhrases(set: PhraseSet, n: Normalized, negatable: boolean): string[] {
  const found: string[] = [];
  const text = n.text;
  for (const p of set.cjk) {
    let at = text.indexOf(p);
    while (at !== -1) {
      if (!insideLongerWord(n.tokens, at, at + p.length) && (!negatable || !negated(text.slice(0, at)))) {
        found.push(p);
        break;
      }
      at = text.indexOf(p, at + 1);
    }
  }
  for (const { phrase, re } of set.latin) {
    if (!text.includes(phrase)) continue; // cheap necessary condition before the whole-word regex
    const m = re.exec(text);
    if (m && (!negatable || !negatedEnglish(text.slice(0, m.index)))) found.push(phrase);
  }
  return found.sort((a, b) => b.length - a.length);
}

/** "30m", "2h", "1d" → milliseconds. */
export function durationMs(d: string): number {
  const m = /^(\d+)\s*(m|h|d)$/.exec(d);
  if (!m) throw new Error(`bad duration ${d}`);
  return Number(m[1]) * { m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 'm' | 'h' | 'd'];
}
