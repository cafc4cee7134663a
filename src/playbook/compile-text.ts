import type { Problem } from '../errors.js';
import { hasStrayBraces, isKnownVariable, KNOWN_VARIABLES, parseTemplate, templateVariables } from '../engine/template.js';
import { locate } from '../config/yaml.js';
import type { LocatedYaml } from '../config/yaml.js';
import { normalizePhrase } from '../nlu/normalize.js';
import { foldText } from './compiled.js';
import type { CompiledIntent, CompiledResponse } from './compiled.js';
import type { PlaybookFile } from './schema.js';

/**
 * The words of a playbook, compiled and checked: intents (phrases with synonyms) and responses
 * (templates whose variables exist, and no phrase customers must never hear). Split from
 * load.ts, which compiles the rules and puts the playbook together.
 */

/** One playbook file, parsed, with its positions for error messages. */
export type Parsed = { yaml: LocatedYaml; data: PlaybookFile };

export function compileIntents(parsed: Parsed[], synonyms: Map<string, string[]>, problems: Problem[]): CompiledIntent[] {
  const intents: CompiledIntent[] = [];
  for (const { yaml, data } of parsed) {
    for (const [name, spec] of Object.entries(data.intents)) {
      if (intents.some((x) => x.name === name)) {
        const at = locate(yaml, ['intents'], name);
        problems.push(problem(yaml.file, at.line, at.col, `intents.${name}`, `intent "${name}" is already defined`));
        continue;
      }
      const badRegex = [...spec.phrases, ...Object.values(spec.types ?? {}).flat()].flatMap((p) => {
        const m = /^\/(.+)\/$/.exec(p.trim());
        if (!m) return [];
        try {
          new RegExp(m[1]!, 'u');
          return [];
        } catch (err) {
          return [`phrase ${p} is not a valid regular expression: ${(err as Error).message}`];
        }
      });
      if (badRegex.length) {
        const at = locate(yaml, ['intents', name]);
        for (const message of badRegex) problems.push(problem(yaml.file, at.line, at.col, `intents.${name}`, message));
        continue;
      }
      intents.push({
        name, priority: spec.priority, order: intents.length, negatable: spec.negatable, alone: spec.alone, miss: spec.miss,
        phrases: expandSynonyms(spec.phrases, synonyms),
        types: Object.entries(spec.types ?? {}).map(([t, phrases]) => ({ name: t, phrases: expandSynonyms(phrases, synonyms) })),
        ...(spec.ask === undefined ? {} : { ask: spec.ask }),
      });
    }
  }
  // Two intents sharing a phrase means the priority silently decides; staff should know.
  const owner = new Map<string, string>();
  for (const i of intents) {
    for (const p of i.phrases) {
      const other = owner.get(p);
      if (other && other !== i.name) {
        const { yaml } = parsed.find((x) => i.name in x.data.intents)!;
        const at = locate(yaml, ['intents', i.name, 'phrases']);
        problems.push({ ...problem(yaml.file, at.line, at.col, `intents.${i.name}.phrases`, `phrase "${p}" is also a phrase of intent "${other}"; the higher priority wins — keep it in one intent`), severity: 'warning' });
      }
      owner.set(p, i.name);
    }
  }
  return intents;
}

export function compileResponses(parsed: Parsed[], slots: Set<string>, forbidden: readonly string[], problems: Problem[]): Map<string, CompiledResponse> {
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
      const templates = variations.map((v, i) => checkText(yaml, ['responses', name, i], v, slots, forbidden, problems));
      responses.set(name, { name, variations: templates });
    }
  }
  return responses;
}

export function checkText(yaml: LocatedYaml, path: (string | number)[], text: string, slots: Set<string>, forbidden: readonly string[], problems: Problem[]) {
  const t = parseTemplate(text);
  const pos = locate(yaml, path);
  const field = path.join('.');
  for (const variable of templateVariables(t)) {
    if (!isKnownVariable(variable, slots)) {
      problems.push(problem(yaml.file, pos.line, pos.col, field, `unknown template variable {{${variable}}}; allowed: ${KNOWN_VARIABLES.join(', ')}, slots.<a slot set by a rule>`));
    }
  }
  if (hasStrayBraces(t)) problems.push(problem(yaml.file, pos.line, pos.col, field, 'unbalanced {{ }} in text'));
  const folded = foldText(text);
  for (const phrase of forbidden) {
    if (folded.includes(foldText(phrase))) {
      problems.push(problem(yaml.file, pos.line, pos.col, field, `contains "${phrase}", which customers must never hear (domain.md §6); rephrase politely`));
    }
  }
  return t;
}

export function problem(file: string, line: number, col: number, field: string, message: string): Problem {
  return { file, line, col, field, message, severity: 'error' };
}

/** Normalized phrases plus their synonym variants (one level: 便宜点 → 实惠点, 划算点). */
function expandSynonyms(phrases: readonly string[], synonyms: ReadonlyMap<string, readonly string[]>): string[] {
  const all = new Set<string>();
  for (const raw of phrases) {
    // Regexes and "a…b" phrases are kept as written (normalized in the matcher).
    if (/^\/.+\/$/.test(raw.trim()) || /…|\.\.\./.test(raw)) {
      all.add(raw.trim());
      continue;
    }
    const p = normalizePhrase(raw);
    if (!p) continue;
    all.add(p);
    for (const [word, alts] of synonyms) if (p.includes(word)) for (const alt of alts) all.add(p.split(word).join(alt));
  }
  return [...all];
}
