import type { CompiledRule, PhraseSet } from './compiled.js';

/**
 * Rules that can never fire: a rule earlier in firing order that stops the search, fires
 * every time, and asks for no more than this rule does, answers everything this rule would.
 * Conservative: only reports what is certain, so a warning is always worth reading.
 */
export function findShadowed(rules: readonly CompiledRule[]): { rule: CompiledRule; by: CompiledRule }[] {
  const out: { rule: CompiledRule; by: CompiledRule }[] = [];
  rules.forEach((rule, i) => {
    if (!rule.enabled) return;
    const by = rules.slice(0, i).find((a) => a.enabled && !a.continue && !a.limit && !a.cooldownMs && !a.fired && covers(a, rule));
    if (by) out.push({ rule, by });
  });
  return out;
}

function covers(a: CompiledRule, b: CompiledRule): boolean {
  return (a.event === b.event || (a.event === 'message' && b.event === 'first_message')) && a.waiting === b.waiting
    && subset(b.intents, a.intents) && subset(b.bargainers, a.bargainers)
    && subset(b.kinds, a.kinds) && subset(b.channels, a.channels) && subset(b.tiers, a.tiers) && subset(b.styles, a.styles)
    && (a.returning === undefined || a.returning === b.returning)
    && (a.hours === undefined || a.hours === b.hours)
    && (a.giftAvailable === undefined || a.giftAvailable === b.giftAvailable)
    && a.tags.every((t) => b.tags.includes(t)) && a.notTags.every((t) => b.notTags.includes(t))
    && a.slots.every(([k, v]) => b.slots.some(([k2, v2]) => k === k2 && v === v2))
    && subset(b.expecting, a.expecting)
    && !a.orderStates && !a.rating && !a.reviewWindow && !a.exceptions && a.paidElsewhere === undefined && a.boughtAgain === undefined && !a.purchases && !a.items && !a.orderTotal
    && textCovers(a, b);
}

/** B's allowed values ⊆ A's: A unrestricted, or B restricted to a part of A. */
function subset(b: ReadonlySet<string> | undefined, a: ReadonlySet<string> | undefined): boolean {
  if (!a) return true;
  if (!b) return false;
  return [...b].every((x) => a.has(x));
}

function textCovers(a: CompiledRule, b: CompiledRule): boolean {
  if (!a.keywords && a.regex.length === 0) return true;
  if (a.regex.length > 0 || !b.keywords || b.regex.length > 0) return false;
  return everyPhraseCovered(b.keywords, a.keywords!);
}

function everyPhraseCovered(b: PhraseSet, a: PhraseSet): boolean {
  return b.cjk.every((p) => a.cjk.some((q) => p.includes(q)))
    && b.latin.every((p) => a.latin.some((q) => q.phrase === p.phrase));
}
