import { parseArgs } from 'node:util';
import { readEnvOptions } from '../config/env.js';
import { loadConfig, resolveConfigPath } from '../config/load.js';
import { formatProblem, ValidationError } from '../errors.js';
import type { Problem } from '../errors.js';
import { loadPlaybooks } from '../playbook/load.js';

/** Validates the config and every shop's playbooks; prints each problem as file:line:col. */
export async function runCheck(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { config: { type: 'string', short: 'c' }, rules: { type: 'boolean' } }, strict: true });
  const env = readEnvOptions();
  const { path } = resolveConfigPath(values.config ?? env.configPath);
  let config;
  try {
    config = loadConfig(path);
  } catch (err) {
    if (!(err instanceof ValidationError)) throw err;
    print(err.problems);
    return 1;
  }
  const all: Problem[] = [];
  for (const shop of config.shops) {
    const { playbook, problems } = loadPlaybooks(shop.playbooksDir);
    all.push(...problems);
    if (!playbook) continue;
    process.stdout.write(`shop ${shop.id}: ${playbook.rules.length} rules, ${playbook.intents.length} intents, ${playbook.responses.size} responses in ${playbook.files.length} files\n`);
    if (values.rules) {
      // The order staff must know: the first matching rule answers (unless it says continue).
      playbook.rules.forEach((r, i) => process.stdout.write(
        `  ${String(i + 1).padStart(3)}. [${r.priority}] ${r.name}${r.continue ? ' (continue)' : ''}  ${r.file}:${r.line}\n`));
    }
  }
  print(all);
  const errors = all.filter((p) => p.severity === 'error').length;
  process.stdout.write(errors ? `${errors} error(s) in ${path}\n` : `ok: ${path}\n`);
  return errors ? 1 : 0;
}

function print(problems: readonly Problem[]): void {
  for (const p of problems) (p.severity === 'error' ? process.stderr : process.stdout).write(`${formatProblem(p)}\n`);
}
