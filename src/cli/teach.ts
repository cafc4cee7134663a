import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { relative } from 'node:path';
import { parseArgs } from 'node:util';
import { cliConfig, pickShop } from './shops.js';
import { askFor, resembledIntent, suggestionsFor } from '../engine/suggest.js';
import { understand } from '../engine/understand.js';
import { formatProblem } from '../errors.js';
import { loadPlaybooks } from '../playbook/load.js';
import { teachEdit } from '../playbook/teach.js';

const USAGE = 'usage: xiaoer teach --shop ID [--phrase] <intent> "<customer text>"';

/**
 * `xiaoer teach --shop acme faq.shipping_time "多会儿能给我寄出来"`: a question `xiaoer report`
 * lists as not understood, put under the intent it meant — in examples.yml (offered as 您是想问
 * to messages like it), or with --phrase among the intent's phrases (answered directly). The
 * edit is kept only if the playbooks still load; the running service reloads them by itself.
 */
export async function runTeach(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args, allowPositionals: true, strict: true,
    options: { shop: { type: 'string', short: 's' }, config: { type: 'string', short: 'c' }, phrase: { type: 'boolean' } },
  });
  const [intent, ...words] = positionals;
  const text = words.join(' ').trim();
  if (!values.shop || !intent || !text) {
    process.stderr.write(`${USAGE}\n`);
    return 1;
  }
  const config = cliConfig(values.config);
  const picked = pickShop(config, values.shop, 'required');
  if ('error' in picked) {
    process.stderr.write(`teach: ${picked.error}\n`);
    return 1;
  }
  const { shop } = picked;
  const before = loadPlaybooks(shop.playbooksDir);
  if (!before.playbook) {
    process.stderr.write(`teach: the playbooks of ${shop.id} do not load now; fix them first (xiaoer check)\n`);
    return 1;
  }
  const known = before.playbook.intents.find((i) => i.name === intent);
  if (!known) {
    process.stderr.write(`teach: unknown intent "${intent}"; intents: ${before.playbook.intents.map((i) => i.name).join(', ')}\n`);
    return 1;
  }
  const edit = teachEdit(shop.playbooksDir, intent, text, values.phrase ? 'phrase' : 'example');
  if ('error' in edit) {
    process.stderr.write(`teach: ${edit.error}\n`);
    return 1;
  }
  const where = `${relative(process.cwd(), edit.file) || edit.file}:${edit.line}`;
  if (edit.already) {
    process.stdout.write(`already there: "${text}" under ${intent} (${where})\n`);
    return 0;
  }
  const original = edit.created ? null : readFileSync(edit.file, 'utf8');
  writeFileSync(edit.file, edit.text);
  const after = loadPlaybooks(shop.playbooksDir);
  if (!after.playbook) {
    // Never leave a shop with playbooks that do not load: put the file back as it was.
    if (original === null) rmSync(edit.file);
    else writeFileSync(edit.file, original);
    const errors = after.problems.filter((p) => p.severity === 'error');
    process.stderr.write(`teach: not kept, the playbooks would not load with it:\n  ${formatProblem(errors[0]!)}${errors.length > 1 ? `\n  (and ${errors.length - 1} more that follow from it; xiaoer check lists all)` : ''}\n`);
    return 1;
  }
  process.stdout.write(`added "${text}" under ${intent} ${values.phrase ? 'phrases' : 'examples'} (${where})\n`);
  process.stdout.write(`${effect(after.playbook, intent, text, values.phrase === true)}\n`);
  // Kept, but worth a second look: the same words already under another intent, say.
  const seen = new Set(before.problems.map(formatProblem));
  for (const w of after.problems.filter((p) => p.severity === 'warning' && !seen.has(formatProblem(p)) && p.message.includes(text))) {
    process.stdout.write(`${formatProblem(w)}\n`);
  }
  process.stdout.write('a running service reloads the playbooks by itself; xiaoer explain shows how a message is read now\n');
  return 0;
}

/** What the customer's words now lead to, said plainly, with what still stands in the way. */
function effect(playbook: NonNullable<ReturnType<typeof loadPlaybooks>['playbook']>, intent: string, text: string, phrase: boolean): string {
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
