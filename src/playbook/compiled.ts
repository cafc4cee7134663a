import type { Template } from '../engine/template.js';

/** A playbook after validation: regexes built, keywords folded, rules in firing order. Built once per load. */
export interface CompiledRule {
  readonly name: string;
  readonly priority: number;
  /** Position in load order (file name, then place in file): the tie-break staff can see. */
  readonly order: number;
  readonly file: string;
  readonly line: number;
  readonly keywords: readonly string[];
  readonly regex: readonly RegExp[];
  readonly returning: boolean | undefined;
  readonly hours: 'open' | 'closed' | undefined;
  readonly kinds: ReadonlySet<string> | undefined;
  readonly limit: { readonly times: number; readonly per: 'conversation' | 'day' } | undefined;
  readonly continue: boolean;
  readonly actions: readonly { readonly reply: string }[];
}

export interface CompiledResponse {
  readonly name: string;
  readonly variations: readonly Template[];
}

export interface CompiledPlaybook {
  readonly rules: readonly CompiledRule[];
  readonly responses: ReadonlyMap<string, CompiledResponse>;
  readonly fallback: { readonly reply: string } | null;
  readonly files: readonly string[];
}

/** Keyword matching is case-insensitive and ignores width differences (Ａ vs A). */
export function foldText(text: string): string {
  return text.normalize('NFKC').toLowerCase();
}
