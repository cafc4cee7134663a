import { normalize } from './normalize.js';

/**
 * Which intents a message resembles when none of their phrases is in it: the message's characters
 * and character pairs, weighted by how rare they are among the examples (IDF), compared by cosine
 * with every example (the intents' phrases and `examples:` sentences); an intent scores as its
 * closest example. Used to offer "您是想问…" choices after a miss and, when a shop sets
 * fallback.suggest.answerAbove, to answer one that is very alike (src/engine/suggest.ts).
 * Written here (about 60 lines) because the tf-idf packages on npm split text at spaces and
 * stem English; Chinese shop chat needs character n-grams over the same folded text the phrases
 * match (src/nlu/normalize).
 */
export interface SimilarDoc {
  intent: string;
  text: string;
  /** The example as the shop wrote it, when `text` was adapted for comparing (a phrase's "…" dropped). */
  written?: string;
}

export interface Similar {
  intent: string;
  /** cosine of the closest example, 0–1 */
  score: number;
  /**
   * How much of that example the message says (its weighted grams found in the message, 0–1):
   * 我昨天下的单 is close to 我昨天下的单今天降价了 but says none of what makes it a question.
   */
  covers: number;
  /** That closest example, as written (a phrase or an `examples:` sentence). */
  example: string;
}

export interface SimilarIndex {
  /** Intents by their closest example, best first; those sharing nothing with the message are left out. */
  rank(text: string): Similar[];
}

const NOT_A_WORD_CHAR = /[^\p{Script=Han}\p{L}\p{N}]/gu;
/** A lone character (1, 好, ?) says too little to guess from: such a message resembles nothing. */
export const MIN_SIMILAR_CHARS = 2;

/** The characters and adjacent pairs of a text, after the folding phrases get (case, width, 繁→简, particles). */
export function grams(text: string): Set<string> {
  const chars = [...normalize(text).text.replace(NOT_A_WORD_CHAR, '')];
  if (chars.length < MIN_SIMILAR_CHARS) return new Set();
  const out = new Set<string>(chars);
  for (let i = 0; i + 1 < chars.length; i++) out.add(chars[i]! + chars[i + 1]!);
  return out;
}

export function buildSimilarIndex(docs: readonly SimilarDoc[]): SimilarIndex {
  const docGrams = docs.map((d) => grams(d.text));
  const postings = new Map<string, number[]>();
  docGrams.forEach((g, i) => {
    for (const x of g) {
      const list = postings.get(x);
      if (list) list.push(i);
      else postings.set(x, [i]);
    }
  });
  // Smoothed IDF: a gram in every example weighs ~0, one in a single example the most.
  const weight = new Map<string, number>();
  for (const [x, list] of postings) weight.set(x, Math.log((docs.length + 1) / (list.length + 1)) ** 2);
  const norms = docGrams.map((g) => Math.sqrt([...g].reduce((s, x) => s + weight.get(x)!, 0)));

  return {
    rank(text) {
      const q = grams(text);
      if (q.size === 0) return [];
      const dot = new Map<number, number>();
      let qNorm = 0;
      for (const x of q) {
        const w = weight.get(x);
        if (w === undefined) continue; // a gram no example has adds to no dot product
        qNorm += w;
        for (const i of postings.get(x)!) dot.set(i, (dot.get(i) ?? 0) + w);
      }
      // Grams no example has still make the message less like every example.
      for (const x of q) if (!weight.has(x)) qNorm += Math.log(docs.length + 1) ** 2;
      qNorm = Math.sqrt(qNorm);
      const best = new Map<string, { score: number; covers: number; example: string }>();
      for (const [i, d] of dot) {
        const score = norms[i] && qNorm ? d / (norms[i]! * qNorm) : 0;
        const intent = docs[i]!.intent;
        if (score > (best.get(intent)?.score ?? 0)) best.set(intent, { score, covers: norms[i] ? d / norms[i]! ** 2 : 0, example: docs[i]!.written ?? docs[i]!.text });
      }
      return [...best].map(([intent, b]) => ({ intent, ...b })).sort((a, b) => b.score - a.score || (a.intent < b.intent ? -1 : 1));
    },
  };
}
