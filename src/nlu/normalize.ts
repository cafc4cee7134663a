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
/** Particles that carry tone, not meaning, in shop chat. */
const PARTICLES = /[亲哈呀啊呢嘛哦噢喔啦捏哇滴]+/g;
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
  const text = toSimplified(raw.normalize('NFKC').toLowerCase())
    .replace(EMOJI, ' ')
    .replace(PARTICLES, '')
    .replace(PUNCT, ' ')
    .trim();
  const tokens: Token[] = [];
  let at = 0;
  for (const t of jieba.cut(text, false)) {
    if (t.trim()) tokens.push({ text: t, start: at, end: at + t.length });
    at += t.length;
  }
  const latin = text.match(/[a-z0-9']+/g) ?? [];
  const value = { text, tokens, latin };
  if (cache.size >= NORMALIZE_CACHE_SIZE) cache.clear();
  cache.set(raw, value);
  return value;
}

/** Normalizes a phrase staff wrote, the same way as a message (particles kept: 吗 in 在吗 matters less than consistency). */
export function normalizePhrase(raw: string): string {
  return toSimplified(raw.normalize('NFKC').toLowerCase()).replace(EMOJI, '').replace(PUNCT, ' ').trim();
}

/** True when [start, end) lies strictly inside one longer word ("人工" inside "人工智能"). */
export function insideLongerWord(tokens: readonly Token[], start: number, end: number): boolean {
  for (const t of tokens) {
    if (t.start > start) break;
    if (t.start <= start && t.end >= end) return t.end - t.start > end - start;
  }
  return false;
}
