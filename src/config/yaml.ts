import { LineCounter, parseDocument, isMap, isPair, isScalar, isSeq, visit } from 'yaml';
import type { Document, Node } from 'yaml';
import type { z } from 'zod';
import type { Problem } from '../errors.js';
import { closestName, fieldsAt } from './fields.js';

/**
 * YAML read with positions kept, so every problem names file:line:col — staff fix
 * playbooks by line number, not by guessing which of forty rules is meant.
 */
export interface LocatedYaml {
  file: string;
  doc: Document.Parsed;
  lines: LineCounter;
}

/** `fields`: the field names the file's schema knows, so 「reply：hello」 is told apart from a text 「温馨提示：…」. */
export function readYaml(file: string, text: string, fields: ReadonlySet<string> = new Set()): { yaml: LocatedYaml; problems: Problem[] } {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const syntax: Problem[] = [...doc.errors, ...doc.warnings].map((e) => {
    const pos = lines.linePos(e.pos[0]);
    return {
      file, line: pos.line, col: pos.col, field: '', message: e.message.split('\n')[0] ?? e.message,
      severity: doc.errors.includes(e as never) ? 'error' : 'warning',
    } satisfies Problem;
  });
  // The plain-words slip first: the parser's own message for the same line follows it.
  return { yaml: { file, doc, lines }, problems: [...inputMethodSlips(file, text, fields), ...syntax] };
}

/** A field name typed with the Chinese input method still on: 「name：问候」 (full-width colon). */
const FULLWIDTH_COLON_KEY = /^([ \t\u3000]*(?:-[ \t\u3000]+)?)([A-Za-z][A-Za-z0-9_.]*)[ \t]*：/;
/** Indentation with a full-width space (全角空格), which YAML does not count as indentation. */
const FULLWIDTH_INDENT = /^[ \t]*\u3000/;

/**
 * The slips a Chinese keyboard makes in YAML, named plainly: the parser's own words for them
 * ("Implicit keys need to be on a single line") do not tell staff what to change. Only the
 * schema's own field names are flagged, so a text such as 「VIP：…」 is never taken for a slip.
 */
function inputMethodSlips(file: string, text: string, fields: ReadonlySet<string>): Problem[] {
  const out: Problem[] = [];
  text.split('\n').forEach((line, i) => {
    const key = FULLWIDTH_COLON_KEY.exec(line);
    if (key && fields.has(key[2]!)) {
      out.push({ file, line: i + 1, col: key[1]!.length + key[2]!.length + 1, field: key[2]!, severity: 'error',
        message: `"${key[2]}：" has a full-width colon (中文冒号); YAML needs an ASCII colon and a space: "${key[2]}: …"` });
    } else if (FULLWIDTH_INDENT.test(line)) {
      out.push({ file, line: i + 1, col: line.indexOf('\u3000') + 1, field: '', severity: 'error',
        message: 'indented with a full-width space (全角空格); indent with ordinary spaces' });
    }
  });
  return out;
}

type PathKey = string | number;

/** Position of the node at `path`; for a missing key, the nearest existing parent. */
export function locate(y: LocatedYaml, path: readonly PathKey[], keyName?: string): { line: number; col: number } {
  let node: unknown = y.doc.contents;
  let best: [number, number, number] | undefined = (node as Node | null)?.range ?? undefined;
  for (const [i, key] of path.entries()) {
    const next = childOf(node, key);
    if (next === undefined) break;
    node = next.value;
    // A wrong value is shown at the value itself; on the way down, at the key.
    const last = i === path.length - 1 && keyName === undefined;
    const range = (last ? next.value ?? next.keyNode : next.keyNode ?? next.value)?.range;
    if (range) best = range;
  }
  if (keyName !== undefined) {
    const pair = childOf(node, keyName);
    if (pair?.keyNode?.range) best = pair.keyNode.range;
  }
  const at = best ? y.lines.linePos(best[0]) : { line: 1, col: 1 };
  return { line: at.line, col: at.col };
}

function childOf(node: unknown, key: PathKey): { keyNode: Node | null; value: Node | null } | undefined {
  if (isMap(node)) {
    for (const item of node.items) {
      if (isPair(item) && isScalar(item.key) && String(item.key.value) === String(key)) {
        return { keyNode: item.key, value: (item.value as Node | null) ?? null };
      }
    }
    return undefined;
  }
  if (isSeq(node) && typeof key === 'number') {
    const item = node.items[key] as Node | undefined;
    return item ? { keyNode: null, value: item } : undefined;
  }
  return undefined;
}

const ENV_REF = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/**
 * `${VAR}` is not valid plain YAML inside a flow map (`{ appSecret: ${SECRET} }` — `{` opens a
 * map), yet that is how users write it. Before parsing, each reference becomes `$_VAR_`: the
 * same length, so every line:col stays true, and a legal plain scalar anywhere.
 */
export function protectEnvRefs(text: string): { text: string; names: Set<string> } {
  const names = new Set<string>();
  const out = text.replace(ENV_REF, (_whole, name: string) => {
    names.add(name);
    return `$_${name}_`;
  });
  return { text: out, names };
}

/** Replaces the references in string scalars in place; a variable that is not set is a problem naming it. */
export function interpolateEnv(y: LocatedYaml, names: ReadonlySet<string>, env: Readonly<Record<string, string | undefined>>): Problem[] {
  const problems: Problem[] = [];
  if (names.size === 0) return problems;
  const ref = new RegExp(`\\$_(${[...names].join('|')})_`, 'g');
  visit(y.doc, {
    Scalar(_key, node) {
      if (typeof node.value !== 'string' || !node.value.includes('$_')) return;
      node.value = node.value.replace(ref, (whole, name: string) => {
        const value = env[name];
        if (value === undefined) {
          const pos = y.lines.linePos(node.range?.[0] ?? 0);
          problems.push({
            file: y.file, line: pos.line, col: pos.col, field: '', severity: 'error',
            message: `environment variable ${name} is not set (referenced as \${${name}})`,
          });
          return whole;
        }
        return value;
      });
    },
  });
  return problems;
}

/**
 * Turns zod issues into located problems; unknown keys point at the key itself and, given the
 * schema the issues came from, name the fields allowed there (and the one a typo most likely meant).
 */
export function zodProblems(y: LocatedYaml, error: z.ZodError, prefix: readonly PathKey[] = [], schema?: z.ZodType): Problem[] {
  const out: Problem[] = [];
  for (const issue of error.issues) {
    const path = [...prefix, ...(issue.path as PathKey[])];
    if (issue.code === 'unrecognized_keys') {
      const allowed = schema ? fieldsAt(schema, issue.path as PathKey[]) : undefined;
      for (const key of issue.keys) {
        const pos = locate(y, path, key);
        const meant = allowed ? closestName(key, allowed) : undefined;
        out.push({ file: y.file, ...pos, field: [...path, key].join('.'), severity: 'error',
          message: `unknown field "${key}"${meant ? `; did you mean "${meant}"?` : ''}${allowed
            ? `; allowed here: ${allowed.join(', ')}` : ' (check the spelling; allowed fields are listed in the docs)'}` });
      }
      continue;
    }
    // A required field left out: say so, at the map that lacks it (zod's wording is "expected object, received undefined").
    if (issue.code === 'invalid_type' && path.length > 0 && !y.doc.hasIn(path) && y.doc.hasIn(path.slice(0, -1))) {
      out.push({ file: y.file, ...locate(y, path), field: path.join('.'), severity: 'error', message: `missing required field "${String(path.at(-1))}"` });
      continue;
    }
    // Custom issues about a key (params.at = 'key') point at the key, not its value.
    const atKey = issue.code === 'custom' && (issue.params as { at?: string } | undefined)?.at === 'key';
    const pos = atKey ? locate(y, path.slice(0, -1), String(path.at(-1))) : locate(y, path);
    out.push({ file: y.file, ...pos, field: path.join('.'), severity: 'error', message: issue.message });
  }
  return out;
}
