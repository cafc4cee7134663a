/**
 * `{{shop.name}}` and `{{customer.name | 亲}}` (a default after the bar). Parsed once when the
 * playbook loads; rendering never prints a raw `{{…}}` or "undefined": a variable without a
 * value and without a default makes the variation unusable, and the engine picks another.
 */
export type TemplatePart = { text: string } | { variable: string; fallback: string | null };
export type Template = readonly TemplatePart[];

const PLACEHOLDER = /\{\{\s*([^}|]*?)\s*(?:\|\s*([^}]*?)\s*)?\}\}/g;

/** Variables a response may use; anything else is a validation error naming the allowed ones. */
export const KNOWN_VARIABLES = [
  'shop.name', 'shop.id', 'shop.hours.from', 'shop.hours.to', 'customer.name', 'customer.tier',
  'gift.name', 'gift.minOrder',
  'order.id', 'order.total', 'order.items', 'order.courier', 'order.trackingNo', 'order.review', 'order.exceptionNote',
  'order.runningOut', 'order.refundReason',
  'suggestions',
] as const;

/** A listed variable, or `slots.<name>` for a slot some rule sets. */
export function isKnownVariable(variable: string, slots: ReadonlySet<string>): boolean {
  if ((KNOWN_VARIABLES as readonly string[]).includes(variable)) return true;
  return variable.startsWith('slots.') && slots.has(variable.slice('slots.'.length));
}

export function parseTemplate(source: string): Template {
  const parts: TemplatePart[] = [];
  let last = 0;
  for (const m of source.matchAll(PLACEHOLDER)) {
    if (m.index > last) parts.push({ text: source.slice(last, m.index) });
    parts.push({ variable: m[1] ?? '', fallback: m[2] ?? null });
    last = m.index + m[0].length;
  }
  if (last < source.length) parts.push({ text: source.slice(last) });
  return parts;
}

export function templateVariables(t: Template): string[] {
  return t.flatMap((p) => ('variable' in p ? [p.variable] : []));
}

/** Leftover braces mean a placeholder staff mistyped (`{{shop.name}` or `{shop.name}}`). */
export function hasStrayBraces(t: Template): boolean {
  return t.some((p) => 'text' in p && /\{\{|\}\}/.test(p.text));
}

export type TemplateVars = Readonly<Record<string, string | null | undefined>>;

export function render(t: Template, vars: TemplateVars): string | null {
  let out = '';
  for (const p of t) {
    if ('text' in p) {
      out += p.text;
      continue;
    }
    const v = vars[p.variable];
    if (v !== undefined && v !== null && v !== '') out += v;
    else if (p.fallback !== null) out += p.fallback;
    else return null;
  }
  return out;
}
