import { pinyin } from 'pinyin-pro';

/**
 * Pinyin for homophone and typo tolerance (能便移点 ≈ 能便宜点, 在码 ≈ 在吗) and for customers who
 * type pinyin (bie fa le). pinyin-pro costs ~10 µs a call, so each character's reading is
 * computed once and kept.
 */
const charCache = new Map<string, string>();

const CJK = /\p{Script=Han}/u;

/** The default reading of one character, without tone; '' for anything that is not a Han character. */
export function charPinyin(ch: string): string {
  let p = charCache.get(ch);
  if (p === undefined) {
    p = CJK.test(ch) ? pinyin(ch, { toneType: 'none' }) : '';
    charCache.set(ch, p);
  }
  return p;
}

/** Per-character default readings (what a homophone typo produces). */
export function charSyllables(text: string): string[] {
  return [...text].map(charPinyin);
}

/** Readings in context (便宜 → pian yi), as a customer typing pinyin would write them. */
export function contextSyllables(text: string): string[] {
  return pinyin(text, { toneType: 'none', type: 'array', nonZh: 'removed' }).filter(Boolean);
}
