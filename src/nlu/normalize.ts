import { Jieba } from '@node-rs/jieba';
import { dict } from '@node-rs/jieba/dict.js';
import * as OpenCC from 'opencc-js';

/**
 * How customers type, folded to one form before matching: traditional → simplified (opencc-js),
 * full-width → half-width and lower case (NFKC), emoji and decoration dropped, repeated
 * punctuation collapsed, filler particles (亲 哈 呀 啊 呢 …) removed. Then segmented into words
 * (@node-rs/jieba) so keywords match words, not pieces of other words.
 */
const toSimplified = OpenCC.Converter({ from: 't', to: 'cn' });
const jieba = Jieba.withDict(dict);

const EMOJI = /[\p{Extended_Pictographic}\u{FE0F}\u{200D}\u{20E3}]/gu;
/** Particles that carry tone, not meaning, in shop chat; dropped when they stand alone as a word (哈喽 stays). */
const PARTICLES = new Set(['亲', '哈', '呀', '啊', '呢', '哦', '噢', '喔', '啦', '捏', '哇', '滴', '哈哈', '哈哈哈', '亲亲', '呵呵']);
const PUNCT = /[\s\p{P}\p{S}~～]+/gu;

export interface Token {
  text: string;
  start: number;
  end: number;
}

export interface Normalized {
  /** The folded text, words separated by single spaces where punctuation was. */
  text: string;
  tokens: Token[];
  /** Latin words (pinyin typing, English, abbreviations) in order. */
  latin: string[];
}

/** Enough distinct messages for a busy shop's live traffic; cleared whole when full (cheap, no LRU bookkeeping). */
export const NORMALIZE_CACHE_SIZE = 20_000;
const cache = new Map<string, Normalized>();

export function normalize(raw: string): Normalized {
  const hit = cache.get(raw);
  if (hit) return hit;
  const folded = toSimplified(raw.normalize('NFKC').toLowerCase())
    .replace(EMOJI, ' ')
    .replace(PUNCT, ' ')
    // "t d", "k f": letters typed apart are one abbreviation
    .replace(/(?<![a-z])[a-z](?: [a-z])+(?![a-z])/g, (m: string) => m.replace(/ /g, ''))
    .trim();
  const tokens: Token[] = [];
  let text = '';
  for (const t of jieba.cut(folded, false)) {
    if (PARTICLES.has(t)) continue;
    if (t === ' ') {
      if (text && !text.endsWith(' ')) text += ' ';
      continue;
    }
    tokens.push({ text: t, start: text.length, end: text.length + t.length });
    text += t;
  }
  text = text.trimEnd();
  const latin = text.match(/[a-z0-9']+/g) ?? [];
  const value = { text, tokens, latin };
  if (cache.size >= NORMALIZE_CACHE_SIZE) cache.clear();
  cache.set(raw, value);
  return value;
}

/** Frequency given to shop words so jieba keeps them whole (a common word in its dictionary is ~1,000–10,000). */
const SHOP_WORD_FREQ = 3000;
const known = new Set<string>();

/**
 * Teaches the segmenter the shops' own phrases (哈喽, 转人工, 圆通), so they come out as words.
 * Idempotent; the cache is cleared because earlier segmentations may now differ.
 */
export function addWords(words: Iterable<string>): void {
  const fresh = [...words].filter((w) => w.length >= 2 && !known.has(w) && !/\s/.test(w));
  if (fresh.length === 0) return;
  for (const w of fresh) known.add(w);
  jieba.loadDict(Buffer.from(fresh.map((w) => `${w} ${SHOP_WORD_FREQ}`).join('\n')));
  cache.clear();
}

/** Normalizes a phrase staff wrote, the same way as a message (particles kept: 吗 in 在吗 matters less than consistency). */
export function normalizePhrase(raw: string): string {
  return toSimplified(raw.normalize('NFKC').toLowerCase()).replace(EMOJI, '').replace(PUNCT, ' ').trim();
}

/**
 * True when [start, end) lies inside one longer word without ending it: "人工" in "人工智能" is
 * another word, while "发票" ending "开发票" is the same thing with a verb in front.
 */
export function insideLongerWord(tokens: readonly Token[], start: number, end: number): boolean {
  for (const t of tokens) {
    if (t.start > start) break;
    if (t.start <= start && t.end >= end) return t.end - t.start > end - start && t.end !== end;
  }
  return false;
}

/**
 * True when `start` or `end` falls inside a word: 面有 in 桌面|有 begins in the middle of 桌面.
 * Homophone matches must line up with words: a sound-alike that borrows half a word is a
 * coincidence (桌面有划痕 is not 免邮), while a typo replaces whole words (在码 for 在吗).
 */
export function splitsWord(tokens: readonly Token[], start: number, end: number): boolean {
  return tokens.some((t) => (t.start < start && start < t.end) || (t.start < end && end < t.end));
}
