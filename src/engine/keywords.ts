import type { Normalized } from '../nlu/normalize.js';
import { insideLongerWord } from '../nlu/normalize.js';
import type { CompiledPlaybook, CompiledRule } from '../playbook/compiled.js';
import { findPhrases } from '../playbook/compiled.js';
import { perPlaybook } from '../playbook/derived.js';

/** Chinese keyword phrases of all rules, by first character: phrase → the rules that list it. */
type KeywordIndex = Map<string, { phrase: string; rules: CompiledRule[] }[]>;

const keywordIndex = perPlaybook((playbook): KeywordIndex => {
  const byPhrase = new Map<string, CompiledRule[]>();
  for (const rule of playbook.rules) {
    for (const phrase of rule.keywords?.cjk ?? []) {
      const rules = byPhrase.get(phrase) ?? [];
      rules.push(rule);
      byPhrase.set(phrase, rules);
    }
  }
  const index: KeywordIndex = new Map();
  for (const [phrase, rules] of byPhrase) {
    const list = index.get(phrase[0]!) ?? [];
    list.push({ phrase, rules });
    index.set(phrase[0]!, list);
  }
  return index;
});

/**
 * The rules whose Chinese keywords a message contains (as whole words), found in one pass over
 * the message instead of one search per rule: a shop with a thousand product-question rules
 * would otherwise search the message three thousand times before the first rule fires.
 */
export function rulesWithKeywordsIn(playbook: CompiledPlaybook, n: Normalized): ReadonlySet<CompiledRule> {
  const index = keywordIndex(playbook);
  const found = new Set<CompiledRule>();
  const text = n.text;
  for (let at = 0; at < text.length; at++) {
    for (const { phrase, rules } of index.get(text[at]!) ?? []) {
      if (!text.startsWith(phrase, at) || insideLongerWord(n.tokens, at, at + phrase.length)) continue;
      for (const r of rules) found.add(r);
    }
  }
  return found;
}

/** Whether a rule's keywords are in the message: its Chinese ones from the one-pass set, its Latin ones by word. */
export function keywordsMatch(rule: CompiledRule, n: Normalized, present: ReadonlySet<CompiledRule>): boolean {
  const set = rule.keywords;
  if (!set) return false;
  if (present.has(rule)) return true;
  return set.latin.length > 0 && findPhrases({ cjk: [], latin: set.latin }, n, false).length > 0;
}
