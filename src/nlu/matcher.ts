import type { Normalized } from './normalize.js';
import { addWords, insideLongerWord, normalizePhrase, splitsWord } from './normalize.js';
import { charSyllables, contextSyllables } from './pinyin.js';

/**
 * One compiled phrase of an intent (or of one of its sub-types). Built once per playbook load;
 * looked up by its first character, first syllable or first pinyin word, so matching costs
 * follow the message's length, not the number of phrases.
 */
export interface PhraseEntry {
  intent: number;
  /** null: a phrase of the intent itself; else the sub-type (bargainer type) it signals. */
  type: string | null;
  phrase: string;
  length: number;
  negatable: boolean;
  /** per-character default readings joined as |a|b| (homophone typos) */
  syllables: string | null;
  /** readings in context (便宜 → pian yi), as pinyin typists write them */
  typed: readonly string[];
  /** "叫…客服": parts that must appear in this order, a few characters apart at most */
  parts: readonly string[] | null;
  /** Two Han characters: also found split by 个/了/过 (打个折, 付了款), see SPLIT_INFIXES. */
  separable?: boolean;
}

export type Via = 'exact' | 'split' | 'homophone' | 'typed-pinyin' | 'abbreviation' | 'english';

/** The customer's own words, not a guess from sound or letters: these outrank fuzzy matches. */
export function isLiteral(via: Via): boolean {
  return via === 'exact' || via === 'split' || via === 'english';
}

/**
 * Chinese verb–object words come apart in speech with an aspect or measure word between them:
 * 打折 → 打个折, 付款 → 付了款, 下单 → 下过单, 发货 → 发了货. A two-character phrase is also
 * found with one of these inside, so staff need not list every form. Only these three: 不 or 没
 * inside (付不了款) changes the meaning, and longer fillers would join unrelated characters.
 */
const SPLIT_INFIXES = new Set(['个', '了', '过']);

export interface Hit {
  entry: PhraseEntry;
  at: number;
  via: Via;
  score: number;
}

export interface IntentIndex {
  byChar: Map<string, PhraseEntry[]>;
  bySyllable: Map<string, PhraseEntry[]>;
  byTypedWord: Map<string, PhraseEntry[]>;
  byInitials: Map<string, PhraseEntry[]>;
  byCompactTyped: Map<string, PhraseEntry[]>;
  english: { entry: PhraseEntry; re: RegExp }[];
  /** "/…/" phrases: regular expressions over the normalized text */
  patterns: { entry: PhraseEntry; re: RegExp }[];
}

/** At most this many characters between the parts of a "叫…客服" phrase. */
export const GAP_MAX = 6;
const GAP = /…|\.\.\./;

/** Homophone and pinyin matches count a little less than the exact words. */
const FUZZY_WEIGHT = 0.8;
/** Two-character homophones (在码 → 在吗) are trusted in short messages only; in a long one, 家的 is not 假的. */
const SHORT_MESSAGE_CHARS = 8;
const ABBREVIATION_WEIGHT = 0.6;
/** Abbreviations (kf, zrg) are only trusted when they are the whole message: "kf" alone, not inside a sentence. */
const ABBREVIATION_MAX_WORDS = 1;
/** A normalized phrase in Latin letters (English, pinyin, model numbers): matched as whole words. */
export const LATIN_PHRASE = /^[a-z0-9 '.&-]+$/;

/** The phrase as a whole word: not preceded or followed by another letter or digit ("tt" is not in "butter"). */
export function wholeWordRegex(phrase: string): RegExp {
  return new RegExp(`(?<![a-z0-9])${phrase.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![a-z0-9])`, 'u');
}
const HAN = /\p{Script=Han}/u;

function push<K>(map: Map<K, PhraseEntry[]>, key: K, e: PhraseEntry): void {
  const list = map.get(key);
  if (list) list.push(e);
  else map.set(key, [e]);
}

export function buildIndex(intents: readonly { phrases: readonly string[]; negatable: boolean; types: readonly { name: string; phrases: readonly string[] }[] }[]): IntentIndex {
  const index: IntentIndex = { byChar: new Map(), bySyllable: new Map(), byTypedWord: new Map(), byInitials: new Map(), byCompactTyped: new Map(), english: [], patterns: [] };
  intents.forEach((intent, i) => {
    const add = (raw: string, type: string | null) => {
      const pattern = /^\/(.+)\/$/.exec(raw.trim());
      if (pattern) {
        const entry: PhraseEntry = { intent: i, type, phrase: raw.trim(), length: 2, negatable: intent.negatable, syllables: null, typed: [], parts: null };
        index.patterns.push({ entry, re: new RegExp(pattern[1]!, 'u') });
        return;
      }
      if (GAP.test(raw)) {
        const parts = raw.split(GAP).map(normalizePhrase).filter(Boolean);
        if (parts.length < 2) return;
        const entry: PhraseEntry = { intent: i, type, phrase: parts.join('…'), length: parts.join('').length, negatable: intent.negatable, syllables: null, typed: [], parts };
        push(index.byChar, parts[0]![0]!, entry);
        return;
      }
      const phrase = normalizePhrase(raw);
      if (!phrase) return;
      if (LATIN_PHRASE.test(phrase)) {
        const entry: PhraseEntry = { intent: i, type, phrase, length: phrase.split(' ').length * 2, negatable: intent.negatable, syllables: null, typed: [], parts: null };
        index.english.push({ entry, re: wholeWordRegex(phrase) });
        return;
      }
      const han = [...phrase].filter((c) => HAN.test(c)).length;
      const entry: PhraseEntry = {
        intent: i, type, phrase, length: [...phrase].length, negatable: intent.negatable,
        syllables: han === [...phrase].length && han >= 2 ? `|${charSyllables(phrase).join('|')}|` : null,
        typed: han >= 2 ? contextSyllables(phrase) : [],
        parts: null,
        ...(han === 2 && phrase.length === 2 ? { separable: true } : {}),
      };
      push(index.byChar, phrase[0]!, entry);
      if (entry.syllables) push(index.bySyllable, charSyllables(phrase[0]!)[0]!, entry);
      if (entry.typed.length) {
        push(index.byTypedWord, entry.typed[0]!, entry);
        if (type === null && han >= 2) {
          push(index.byInitials, entry.typed.map((s) => s[0]).join(''), entry);
          push(index.byCompactTyped, entry.typed.join(''), entry);
        }
      }
    };
    for (const p of intent.phrases) add(p, null);
    for (const t of intent.types) for (const p of t.phrases) add(p, t.name);
  });
  addWords([...index.byChar.values()].flat().filter((e) => !e.parts && HAN.test(e.phrase)).map((e) => e.phrase));
  return index;
}

/**
 * A negation shortly before a phrase cancels it: 不用转人工, 别转人工, 我不是要退货. The A不A and
 * A没A question forms (能不能退, 可不可以换, 是不是正品, 有没有真人) ask rather than negate, so they
 * are removed first. 别 ending a word (特别, 区别, 分别, 差别, 级别, 类别 …) is no negation: 特别想转人工
 * asks for a person.
 */
const NEGATION = /(?:不|(?<![特区分差级告类性个识鉴辨派])别|没有?|无需|甭)(?:是|要|想|用|需要|必|再|去|转|找|叫|接|给我){0,2}\s*$/u;
const A_NOT_A = /(.)[不没]\1/gu;
const NEGATION_WINDOW = 6;

export function negated(before: string): boolean {
  return NEGATION.test(before.slice(-NEGATION_WINDOW - 2).replace(A_NOT_A, ''));
}

/** The English negations that cancel a phrase after them: "not", "don't", "no need to". */
export function negatedEnglish(before: string): boolean {
  return /(?:\bnot?|\bdon'?t|\bno need to)\s*$/.test(before);
}

/** `negatedOut` collects the intents (by index) of phrases the customer negated (我不是要退货). */
export function matchPhrases(index: IntentIndex, n: Normalized, negatedOut?: Set<number>): Hit[] {
  const hits: Hit[] = [];
  const text = n.text;
  const chars = [...text];
  const exactAt = new Set<string>();
  // Exact words: substring at a word boundary (not inside a longer word), not negated.
  let offset = 0;
  for (const ch of chars) {
    for (const e of index.byChar.get(ch) ?? []) {
      let end = e.parts ? gapMatch(text, offset, e.parts) : text.startsWith(e.phrase, offset) ? offset + e.phrase.length : -1;
      let via: Via = 'exact';
      if (end < 0 && e.separable && SPLIT_INFIXES.has(text[offset + 1]!) && text[offset + 2] === e.phrase[1]) {
        end = offset + 3;
        via = 'split';
      }
      if (end < 0) continue;
      // Word boundaries matter for a phrase as a whole; the parts of "少…块" and bargainer-type cues are hints.
      if (!e.parts && e.type === null && insideLongerWord(n.tokens, offset, end)) continue;
      if (e.negatable && negated(text.slice(0, offset))) {
        negatedOut?.add(e.intent);
        continue;
      }
      hits.push({ entry: e, at: offset, via, score: e.length });
      exactAt.add(`${e.intent}:${e.type}:${e.phrase}`);
    }
    offset += ch.length;
  }
  // Homophones and typos by pinyin: 能便移点 reads like 能便宜点.
  if (index.bySyllable.size && HAN.test(text)) {
    const syl = charSyllables(text);
    const joined = `|${syl.join('|')}|`;
    let pos = 0;
    for (let i = 0; i < syl.length; i++) {
      for (const e of index.bySyllable.get(syl[i]!) ?? []) {
        // The cheap test first: most candidates sharing a first syllable do not read like the text.
        if (!joined.startsWith(e.syllables!, pos) || exactAt.has(`${e.intent}:${e.type}:${e.phrase}`)) continue;
        if (e.length < 3 && chars.length > SHORT_MESSAGE_CHARS) continue;
        const start = chars.slice(0, i).join('').length;
        if (splitsWord(n.tokens, start, start + e.phrase.length)) continue;
        if (e.negatable && negated(text.slice(0, start))) continue;
        hits.push({ entry: e, at: i, via: 'homophone', score: e.length * FUZZY_WEIGHT });
      }
      pos += syl[i]!.length + 1;
    }
  }
  // Pinyin typed as Latin words (bie fa le, pian yi dian) and whole-message abbreviations (kf, zrg).
  const words = n.latin;
  for (let j = 0; j < words.length; j++) {
    for (const e of index.byTypedWord.get(words[j]!) ?? []) {
      if (e.typed.every((s, k) => words[j + k] === s)) hits.push({ entry: e, at: j, via: 'typed-pinyin', score: e.length * FUZZY_WEIGHT });
    }
  }
  if (words.length > 0 && words.length <= ABBREVIATION_MAX_WORDS && !HAN.test(text)) {
    for (const e of index.byInitials.get(words[0]!) ?? []) hits.push({ entry: e, at: 0, via: 'abbreviation', score: e.length * ABBREVIATION_WEIGHT });
    // Pinyin typed without spaces: biefale, zhuanrengong.
    for (const e of index.byCompactTyped.get(words[0]!) ?? []) hits.push({ entry: e, at: 0, via: 'typed-pinyin', score: e.length * FUZZY_WEIGHT });
  }
  for (const { entry, re } of index.patterns) {
    const m = re.exec(text);
    if (m && entry.negatable && negated(text.slice(0, m.index))) negatedOut?.add(entry.intent);
    else if (m) hits.push({ entry, at: m.index, via: 'exact', score: Math.max(2, [...m[0]].length) });
  }
  for (const { entry, re } of index.english) {
    // The phrase as written must be in the text for its whole-word regex to match: a substring
    // test first spares ~80 regexes on every message that has none of them (most are Chinese).
    if (!text.includes(entry.phrase)) continue;
    const m = re.exec(text);
    if (m && !(entry.negatable && negatedEnglish(text.slice(0, m.index)))) {
      hits.push({ entry, at: m.index, via: 'english', score: entry.length });
    }
  }
  return hits;
}

/** End of a "part…part" match starting at `offset`, or -1: each next part within GAP_MAX characters. */
function gapMatch(text: string, offset: number, parts: readonly string[]): number {
  if (!text.startsWith(parts[0]!, offset)) return -1;
  let end = offset + parts[0]!.length;
  for (const part of parts.slice(1)) {
    const at = text.indexOf(part, end);
    if (at < 0 || at - end > GAP_MAX) return -1;
    end = at + part.length;
  }
  return end;
}
