import { existsSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { formatProblem } from '../errors.js';
import { decodeSheet, faqPlaybookYaml, parseFaqSheet } from '../playbook/faq-import.js';
import { loadPlaybooks } from '../playbook/load.js';

const USAGE = 'usage: xiaoer faq import FILE.csv --out DIR/FILE.yml [--force]\n'
  + '  FILE.csv: columns 问题, 关键词 (words customers use, separated by 、) and 回答 (回答2, 回答3… for variations); UTF-8 or Excel\'s GBK\n';

/**
 * `xiaoer faq import`: the shop's own FAQ sheet as a playbook file, checked with the playbooks
 * beside it before it stays. Meant for a draft folder: replay it, then copy it over.
 */
export async function runFaq(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, strict: true, options: { out: { type: 'string', short: 'o' }, force: { type: 'boolean' } } });
  const [sub, file] = positionals;
  if (sub !== 'import' || !file || !values.out) return fail(`faq: ${sub !== 'import' ? 'only import is known' : !file ? 'name the CSV file' : '--out: name the playbook file to write, in a draft folder (cp -r playbooks playbooks-draft)'}\n${USAGE}`);
  const out = resolve(values.out);
  if (!out.endsWith('.yml')) return fail(`faq: --out ${values.out}: a playbook file ends in .yml\n`);
  if (!existsSync(dirname(out))) return fail(`faq: --out ${values.out}: no folder ${dirname(out)}\n`);
  if (existsSync(out) && !values.force) return fail(`faq: ${values.out} exists: choose another file, or --force to replace it\n`);
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (err) {
    return fail(`faq: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? String(err)})\n`);
  }
  const { rows, problems, skipped } = parseFaqSheet(decodeSheet(bytes), file);
  if (problems.length) return fail(`faq: nothing imported; fix these in ${file} and run it again:\n${problems.map((p) => `  ${formatProblem(p)}`).join('\n')}\n`);

  const before = existsSync(out) ? readFileSync(out) : null;
  writeFileSync(out, faqPlaybookYaml(rows, basename(file)));
  // Checked with the playbooks beside it, as the service would load them; a folder that no longer loads gets its old file back.
  const loaded = loadPlaybooks(dirname(out));
  if (!loaded.playbook) {
    if (before) writeFileSync(out, before);
    else unlinkSync(out);
    return fail(`faq: nothing imported; with ${basename(out)} the folder ${dirname(out)} would not load:\n${loaded.problems.map((p) => `  ${formatProblem(p)}`).join('\n')}\n`);
  }
  process.stdout.write(`imported ${rows.length} questions from ${file} into ${out}${skipped ? ` (${skipped} not filled in: left out)` : ''}\n`);
  for (const p of loaded.problems) process.stdout.write(`  ${formatProblem(p)}\n`);
  process.stdout.write(`next: read it over, see what it changes for last week's customers with\n  npx xiaoer replay --shop <shop> --draft ${dirname(out)}\nthen copy it into the shop's playbooks folder (the service picks it up at once).\n`);
  return 0;
}

function fail(message: string): number {
  process.stderr.write(message);
  return 1;
}
