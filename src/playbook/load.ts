import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { Problem } from '../errors.js';
import { hasStrayBraces, KNOWN_VARIABLES, parseTemplate, templateVariables } from '../engine/template.js';
import { locate, readYaml, zodProblems } from '../config/yaml.js';
import type { LocatedYaml } from '../config/yaml.js';
import { foldText } from './compiled.js';
import type { CompiledPlaybook, CompiledResponse, CompiledRule } from './compiled.js';
import { playbookFileSchema } from './schema.js';
import type { PlaybookFile } from './schema.js';

/** Playbook files are *.yml / *.yaml in the shop's directory; *.test.yml are conversation fixtures. */
export function playbookFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f) && !/\.test\.ya?ml$/.test(f))
    .sort()
    .map((f) => join(dir, f));
}

export interface LoadResult {
  playbook: CompiledPlaybook | null;
  problems: Problem[];
}

/** Reads, validates and compiles every playbook file of a directory. `playbook` is null if any error was found. */
export function loadPlaybooks(dir: string, displayBase = process.cwd()): LoadResult {
  let files: string[];
  try {
    files = playbookFiles(dir);
  } catch (err) {
    return { playbook: null, problems: [problem(dir, 0, 0, '', `cannot read playbook directory (${(err as NodeJS.ErrnoException).code ?? err})`)] };
  }
  if (files.length === 0) return { playbook: null, problems: [problem(dir, 0, 0, '', 'no playbook files (*.yml) in this directory')] };
  const parsed: { yaml: LocatedYaml; data: PlaybookFile }[] = [];
  const problems: Problem[] = [];
  for (const file of files) {
    const shown = relative(displayBase, file) || file;
    const { yaml, problems: syntax } = readYaml(shown, readFileSync(file, 'utf8'));
    problems.push(...syntax);
    if (syntax.some((p) => p.severity === 'error')) continue;
    const result = playbookFileSchema.safeParse(yaml.doc.toJS() ?? {});
    if (!result.success) {
      problems.push(...zodProblems(yaml, result.error));
      continue;
    }
    parsed.push({ yaml, data: result.data });
  }
  const compiled = compile(parsed, problems);
  const failed = problems.some((p) => p.severity === 'error');
  return { playbook: failed ? null : compiled, problems };
}

function compile(parsed: { yaml: LocatedYaml; data: PlaybookFile }[], problems: Problem[]): CompiledPlaybook {
  const responses = new Map<string, CompiledResponse>();
  const responseAt = new Map<string, string>();
  for (const { yaml, data } of parsed) {
    for (const [name, variations] of Object.entries(data.responses)) {
      const at = locate(yaml, ['responses'], name);
      if (responses.has(name)) {
        problems.push(problem(yaml.file, at.line, at.col, `responses.${name}`, `response "${name}" is already defined in ${responseAt.get(name)}`));
        continue;
      }
      responseAt.set(name, `${yaml.file}:${at.line}`);
      const templates = variations.map((v, i) => {
        const t = parseTemplate(v);
        const pos = locate(yaml, ['responses', name, i]);
        for (const variable of templateVariables(t)) {
          if (!(KNOWN_VARIABLES as readonly string[]).includes(variable)) {
            problems.push(problem(yaml.file, pos.line, pos.col, `responses.${name}[${i}]`,
              `unknown template variable {{${variable}}}; allowed: ${KNOWN_VARIABLES.join(', ')}`));
          }
        }
        if (hasStrayBraces(t)) problems.push(problem(yaml.file, pos.line, pos.col, `responses.${name}[${i}]`, 'unbalanced {{ }} in text'));
        return t;
      });
      responses.set(name, { name, variations: templates });
    }
  }

  const rules: CompiledRule[] = [];
  const ruleAt = new Map<string, string>();
  let fallback: { reply: string } | null = null;
  let fallbackAt = '';
  for (const { yaml, data } of parsed) {
    data.rules.forEach((r, i) => {
      const at = locate(yaml, ['rules', i, 'name']);
      if (ruleAt.has(r.name)) problems.push(problem(yaml.file, at.line, at.col, `rules[${i}].name`, `rule name "${r.name}" is already used at ${ruleAt.get(r.name)}`));
      ruleAt.set(r.name, `${yaml.file}:${at.line}`);
      r.then.forEach((a, j) => checkReply(yaml, ['rules', i, 'then', j, 'reply'], a.reply, responses, problems));
      const regex = (r.when.regex ?? []).flatMap((source, j) => {
        try {
          return [new RegExp(source, 'iu')];
        } catch (err) {
          const pos = locate(yaml, ['rules', i, 'when', 'regex', j]);
          problems.push(problem(yaml.file, pos.line, pos.col, `rules[${i}].when.regex[${j}]`, `invalid regular expression: ${(err as Error).message}`));
          return [];
        }
      });
      // Latin keywords match whole words ("hi" must not fire inside "shipping"); Chinese has no
      // spaces, so CJK keywords match as substrings.
      const folded = (r.when.keywords ?? []).map(foldText);
      const latin = folded.filter((k) => /^[a-z0-9 .'-]+$/.test(k));
      const wordRegex = latin.map((k) => new RegExp(`(?<![a-z0-9])${escapeRegex(k)}(?![a-z0-9])`, 'u'));
      rules.push({
        name: r.name, priority: r.priority, order: rules.length, file: yaml.file, line: at.line,
        keywords: folded.filter((k) => !latin.includes(k)), regex: [...wordRegex, ...regex],
        returning: r.when.returning, hours: r.when.hours,
        kinds: r.when.kind ? new Set(r.when.kind) : undefined,
        limit: r.limit, continue: r.continue, actions: r.then,
      });
    });
    if (data.fallback) {
      const at = locate(yaml, ['fallback']);
      if (fallback) problems.push(problem(yaml.file, at.line, at.col, 'fallback', `fallback is already set in ${fallbackAt}; a shop has one fallback`));
      checkReply(yaml, ['fallback', 'reply'], data.fallback.reply, responses, problems);
      fallback = data.fallback;
      fallbackAt = `${yaml.file}:${at.line}`;
    }
  }
  if (!fallback && parsed.length) {
    problems.push({ ...problem(parsed[0]!.yaml.file, 1, 1, 'fallback', 'no fallback: messages no rule matches get no answer'), severity: 'warning' });
  }
  rules.sort((a, b) => b.priority - a.priority || a.order - b.order);
  return { rules, responses, fallback, files: parsed.map((p) => p.yaml.file) };
}

function checkReply(yaml: LocatedYaml, path: (string | number)[], name: string, responses: Map<string, CompiledResponse>, problems: Problem[]): void {
  if (responses.has(name)) return;
  const pos = locate(yaml, path);
  const known = [...responses.keys()];
  problems.push(problem(yaml.file, pos.line, pos.col, path.join('.'),
    `unknown response "${name}"; defined responses: ${known.length ? known.join(', ') : '(none)'}`));
}

function problem(file: string, line: number, col: number, field: string, message: string): Problem {
  return { file, line, col, field, message, severity: 'error' };
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
