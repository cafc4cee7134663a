import type { z } from 'zod';

type PathKey = string | number;

/** The parts of a zod 4 schema definition this walk reads (zod exposes them as `_zod.def`). */
interface Def {
  type: string;
  shape?: Record<string, z.ZodType>;
  innerType?: z.ZodType;
  element?: z.ZodType;
  options?: readonly z.ZodType[];
  in?: z.ZodType;
  valueType?: z.ZodType;
}

const defOf = (s: z.ZodType): Def => (s as unknown as { _zod: { def: Def } })._zod.def;

/** Wrappers that hold one schema: optional, default, nullable … */
const WRAPPERS = new Set(['optional', 'nullable', 'default', 'prefault', 'readonly', 'catch', 'nonoptional']);

/** The schemas a value may be checked against here, wrappers and unions opened. */
function alternatives(s: z.ZodType): z.ZodType[] {
  const d = defOf(s);
  if (WRAPPERS.has(d.type) && d.innerType) return alternatives(d.innerType);
  if (d.type === 'pipe' && d.in) return alternatives(d.in);
  if (d.type === 'union' && d.options) return d.options.flatMap(alternatives);
  return [s];
}

function child(s: z.ZodType, key: PathKey): z.ZodType[] {
  const d = defOf(s);
  if (d.type === 'object' && typeof key === 'string' && d.shape?.[key]) return [d.shape[key]];
  if (d.type === 'array' && typeof key === 'number' && d.element) return [d.element];
  if (d.type === 'record' && d.valueType) return [d.valueType];
  return [];
}

/**
 * The field names an object at `path` of the schema allows, for "unknown field" messages that
 * say what is allowed instead of sending staff to the docs; undefined when the schema there is
 * not a plain object (a hand-checked action, say).
 */
export function fieldsAt(schema: z.ZodType, path: readonly PathKey[]): string[] | undefined {
  let here = alternatives(schema);
  for (const key of path) here = here.flatMap((s) => child(s, key)).flatMap(alternatives);
  const objects = here.filter((s) => defOf(s).type === 'object');
  if (objects.length === 0) return undefined;
  return [...new Set(objects.flatMap((s) => Object.keys(defOf(s).shape ?? {})))];
}

/** Every field name anywhere in the schema (for telling a field typed with a full-width colon from a text). */
export function allFieldNames(schema: z.ZodType): ReadonlySet<string> {
  const names = new Set<string>();
  const seen = new Set<z.ZodType>();
  const walk = (s: z.ZodType): void => {
    if (seen.has(s)) return;
    seen.add(s);
    for (const alt of alternatives(s)) {
      const d = defOf(alt);
      if (d.type === 'object') for (const [k, v] of Object.entries(d.shape ?? {})) { names.add(k); walk(v); }
      if (d.type === 'array' && d.element) walk(d.element);
      if (d.type === 'record' && d.valueType) walk(d.valueType);
    }
  };
  walk(schema);
  return names;
}

/** The allowed name a typo most likely meant: same letters but case, or at most two edits away. */
export function closestName(typed: string, allowed: readonly string[]): string | undefined {
  const lower = typed.toLowerCase();
  let best: { name: string; d: number } | undefined;
  for (const name of allowed) {
    const d = name.toLowerCase() === lower ? 0 : distance(lower, name.toLowerCase());
    if (d <= Math.min(2, Math.floor(name.length / 3)) && (!best || d < best.d)) best = { name, d };
  }
  return best?.name;
}

/** Optimal string alignment distance (a swap of two neighbours, 'ruels', is one edit). */
function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
    }
  }
  return d[a.length]![b.length]!;
}
