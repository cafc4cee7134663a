import type { Problem } from '../errors.js';
import { locate } from '../config/yaml.js';
import { templateVariables } from '../engine/template.js';
import { checkText, problem } from './compile-text.js';
import type { Parsed } from './compile-text.js';
import type { CompiledIntent, CompiledResponse } from './compiled.js';

/**
 * The playbook's material for guessing what a missed message meant (您是想问…): `examples:`
 * merged from every file, each naming an intent that exists; each intent's `ask` checked like any
 * text a customer reads; and a fallback `suggest` reply that actually shows {{suggestions}}.
 */
export function compileExamples(parsed: Parsed[], intents: readonly CompiledIntent[], forbidden: readonly string[], problems: Problem[]): { intent: string; text: string }[] {
  const known = new Set(intents.map((i) => i.name));
  const out: { intent: string; text: string }[] = [];
  // The same words under two intents: neither is answered by likeness, both are offered — a
  // message means one thing, so staff keep it under that one (a slip of `xiaoer teach`, often).
  const firstUnder = new Map<string, string>();
  for (const { yaml, data } of parsed) {
    for (const [intent, texts] of Object.entries(data.examples)) {
      if (!known.has(intent)) {
        const at = locate(yaml, ['examples'], intent);
        problems.push(problem(yaml.file, at.line, at.col, `examples.${intent}`, `unknown intent "${intent}"; examples belong to an intent defined under intents:`));
        continue;
      }
      texts.forEach((text, i) => {
        const other = firstUnder.get(text);
        if (other !== undefined && other !== intent) {
          const at = locate(yaml, ['examples', intent, i]);
          problems.push({ ...problem(yaml.file, at.line, at.col, `examples.${intent}`,
            `"${text}" is also an example of ${other}: keep it under the intent it means (under both, it is offered as both and never answered outright)`), severity: 'warning' });
        }
        if (other === undefined) firstUnder.set(text, intent);
        out.push({ intent, text });
      });
    }
    for (const [name, spec] of Object.entries(data.intents)) {
      if (spec.ask !== undefined) checkText(yaml, ['intents', name, 'ask'], spec.ask, new Set(), forbidden, problems);
    }
  }
  return out;
}

/** The fallback's suggest reply must exist (checked with the fallback) and show the list. */
export function checkSuggestReply(parsed: Parsed, response: CompiledResponse | undefined, intents: readonly CompiledIntent[], problems: Problem[]): void {
  const { yaml } = parsed;
  const at = locate(yaml, ['fallback', 'suggest', 'reply']);
  if (response && !response.variations.every((t) => templateVariables(t).includes(SUGGESTIONS_VARIABLE))) {
    problems.push(problem(yaml.file, at.line, at.col, 'fallback.suggest.reply',
      `every variation of response "${response.name}" must show {{${SUGGESTIONS_VARIABLE}}}, the numbered questions the customer may answer with a number`));
  }
  if (!intents.some((i) => i.ask !== undefined)) {
    problems.push({ ...problem(yaml.file, at.line, at.col, 'fallback.suggest', 'no intent has an ask: (the question as a customer asks it), so nothing can be suggested'), severity: 'warning' });
  }
}

/** The template variable the numbered suggestions fill. */
export const SUGGESTIONS_VARIABLE = 'suggestions';
