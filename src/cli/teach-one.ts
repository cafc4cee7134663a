import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { relative } from 'node:path';
import { askFor, resembledIntent, suggestionsFor } from '../engine/suggest.js';
import { understand } from '../engine/understand.js';
import { formatProblem } from '../errors.js';
import { loadPlaybooks } from '../playbook/load.js';
import { teachEdit } from '../playbook/teach.js';
import type { TeachAs } from '../playbook/teach.js';

type Playbook = NonNullable<ReturnType<typeof loadPlaybooks>['playbook']>;

/** What teaching one question did: added (with what it leads to now), already there, or refused and why. */
export type Taught =
  | { outcome: 'added' | 'already'; where: string; said: string }
  | { outcome: 'refused'; reason: string };

type Loaded = ReturnType<typeof loadPlaybooks>;

/**
 * Puts `text` under `intent` as `as`, kept only if the playbooks still load with it. `loaded`: the
 * playbooks as they are now, when the caller has them (a batch passes each result's `now` on:
 * loading the playbooks is most of the time a lesson takes).
 */
export function teachOne(dir: string, intent: string, text: string, as: TeachAs, loaded?: Loaded): Taught & { now: Loaded } {
  const before = loaded ?? loadPlaybooks(dir);
  const { after, ...taught } = teachInto(dir, intent, text, as, before);
  return { ...taught, now: after ?? before };
}

function teachInto(dir: string, intent: string, text: string, as: TeachAs, before: Loaded): Taught & { after?: Loaded } {
  if (!before.playbook) return { outcome: 'refused', reason: 'the playbooks do not load now; fix them first (xiaoer check)' };
  if (!before.playbook.intents.some((i) => i.name === intent)) {
    return { outcome: 'refused', reason: `unknown intent "${intent}"; intents: ${before.playbook.intents.map((i) => i.name).join(', ')}` };
  }
  const edit = teachEdit(dir, intent, text, as);
  if ('error' in edit) return { outcome: 'refused', reason: edit.error };
  const where = `${relative(process.cwd(), edit.file) || edit.file}:${edit.line}`;
  if (edit.already) return { outcome: 'already', where, said: `already there: "${text}" under ${intent} (${where})` };
  const original = edit.created ? null : readFileSync(edit.file, 'utf8');
  writeFileSync(edit.file, edit.text);
  const after = loadPlaybooks(dir);
  if (!after.playbook) {
    // Never leave a shop with playbooks that do not load: put the file back as it was.
    if (original === null) rmSync(edit.file);
    else writeFileSync(edit.file, original);
    const errors = after.problems.filter((p) => p.severity === 'error');
    return {
      outcome: 'refused',
      reason: `not kept, the playbooks would not load with it:\n  ${formatProblem(errors[0]!)}${errors.length > 1 ? `\n  (and ${errors.length - 1} more that follow from it; xiaoer check lists all)` : ''}`,
    };
  }
  const lines = [`added "${text}" under ${intent} ${as === 'phrase' ? 'phrases' : 'examples'} (${where})`, effect(after.playbook, intent, text, as === 'phrase')];
  // Kept, but worth a second look: the same words already under another intent, say.
  const seen = new Set(before.problems.map(formatProblem));
  for (const w of after.problems.filter((p) => p.severity === 'warning' && !seen.has(formatProblem(p)) && p.message.includes(text))) lines.push(formatProblem(w));
  return { outcome: 'added', where, said: lines.join('\n'), after };
}

/** What the customer's words now lead to, said plainly, with what still stands in the way. */
function effect(playbook: Playbook, intent: string, text: string, phrase: boolean): string {
  const read = understand(text, playbook).intent;
  if (phrase) {
    return read === intent ? `now: "${text}" is understood as ${intent}`
      : `note: "${text}" is still understood as ${read ?? 'nothing'} — another intent's phrase wins (xiaoer explain shows which)`;
  }
  if (read !== null) return `note: "${text}" is understood as ${read} already; examples only matter for messages nothing recognises`;
  const ask = askFor(playbook, intent);
  if (ask === undefined) return `note: ${intent} has no ask:, so it is never offered as 您是想问; add one in its intent to use the example`;
  // With fallback.suggest.answerAbove the example itself is answered outright: it is as alike as can be.
  if (resembledIntent(playbook, text)?.intent === intent) {
    return `now: "${text}" is answered as ${intent} (alike enough to its examples: fallback.suggest.answerAbove); messages less like it get "${ask}" offered (您是想问)`;
  }
  const offered = suggestionsFor(playbook, text);
  return offered[0] === intent ? `now: a message like it gets "${ask}" offered first (您是想问)`
    : `note: a message like it is offered ${offered.join(', ') || 'nothing'} first; a phrase (--phrase) answers it directly`;
}
