import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isMap, isScalar, isSeq, parseDocument } from 'yaml';
import type { Node, YAMLMap } from 'yaml';
import { playbookFiles } from './load.js';

/**
 * Adding one line to a playbook the way staff would by hand: a customer's question under an
 * intent's `examples` (what 您是想问 compares with) or its `phrases` (what the bot answers by).
 * The text is edited where the list is — a flow list `[a, b]` gets `, c` before its bracket, a
 * block list a new `- c` line — so the file's comments, order and wrapping stay as staff wrote
 * them; re-stringifying the whole document would re-wrap every long list.
 */
export type TeachAs = 'example' | 'phrase';

export interface TeachEdit {
  file: string;
  /** the file's new text (unchanged when `already`) */
  text: string;
  /** 1-based line of the added item */
  line: number;
  /** the list already held exactly this text */
  already: boolean;
  created: boolean;
}

/** Where examples go when no playbook file has an `examples:` block yet. */
export const EXAMPLES_FILE = 'examples.yml';
const EXAMPLES_HEADER = '# 例句 — whole messages customers sent, by what they meant (see playbooks/README.md).\nexamples:\n';

/** The edit that adds `item` under `intent`, or a reason it cannot be made (the intent is nowhere, say). */
export function teachEdit(dir: string, intent: string, item: string, as: TeachAs): TeachEdit | { error: string } {
  const docs = playbookFiles(dir).map((file) => ({ file, text: readFileSync(file, 'utf8') }))
    .map((f) => ({ ...f, doc: parseDocument(f.text) }));
  if (as === 'phrase') {
    const home = docs.find((d) => isSeq(d.doc.getIn(['intents', intent, 'phrases'], true)));
    if (!home) return { error: `no playbook file in ${dir} lists phrases for intent "${intent}"` };
    return appendTo(home.file, home.text, home.doc.getIn(['intents', intent, 'phrases'], true) as Node, item);
  }
  const home = docs.find((d) => isMap(d.doc.get('examples', true)));
  if (!home) {
    const file = join(dir, EXAMPLES_FILE);
    const before = existsSync(file) ? readFileSync(file, 'utf8') : '';
    const text = `${before}${before && !before.endsWith('\n') ? '\n' : ''}${before ? 'examples:\n' : EXAMPLES_HEADER}  ${intent}: [${quoted(item)}]\n`;
    return { file, text, line: text.split('\n').length - 1, already: false, created: before === '' };
  }
  const examples = home.doc.get('examples', true) as YAMLMap;
  const list = examples.get(intent, true);
  if (isSeq(list)) return appendTo(home.file, home.text, list as Node, item);
  // A new intent under examples: a line after the block's last entry, indented like the others.
  const last = examples.items.at(-1);
  const keyNode = last?.key as Node | undefined;
  const indent = keyNode?.range ? ' '.repeat(columnOf(home.text, keyNode.range[0])) : '  ';
  const at = endOfLine(home.text, ((last?.value as Node | undefined)?.range ?? keyNode?.range ?? examples.range!)[1]);
  const text = `${home.text.slice(0, at)}\n${indent}${intent}: [${quoted(item)}]${home.text.slice(at)}`;
  return { file: home.file, text, line: lineOf(text, at + 1), already: false, created: false };
}

function appendTo(file: string, source: string, list: Node, item: string): TeachEdit {
  if (!isSeq(list) || !list.range) throw new Error('appendTo needs a list node with its position');
  if (list.items.some((x) => isScalar(x) && String(x.value) === item)) {
    return { file, text: source, line: lineOf(source, list.range[0]), already: true, created: false };
  }
  if (list.flow) {
    const close = source.lastIndexOf(']', list.range[1]);
    const before = source.slice(list.range[0] + 1, close).trimEnd();
    const sep = before === '' || before.endsWith(',') ? (before === '' ? '' : ' ') : ', ';
    const cut = list.range[0] + 1 + before.length;
    const text = `${source.slice(0, cut)}${sep}${quoted(item)}${source.slice(cut)}`;
    return { file, text, line: lineOf(text, cut + sep.length), already: false, created: false };
  }
  // Block list: a new "- item" line under the last one, at its indentation.
  const last = list.items.at(-1) as Node;
  const start = last.range![0];
  const lineStart = source.lastIndexOf('\n', start - 1) + 1;
  const dash = source.slice(lineStart, start).replace(/-\s*$/, '');
  const at = endOfLine(source, last.range![1]);
  const text = `${source.slice(0, at)}\n${dash}- ${quoted(item)}${source.slice(at)}`;
  return { file, text, line: lineOf(text, at + 1), already: false, created: false };
}

/** Plain when YAML reads it back as the same text; else double-quoted (JSON strings are YAML strings). */
function quoted(item: string): string {
  const plain = /^[^\s\-?:,[\]{}#&*!|>'"%@`][^,[\]{}#:?]*(?<!\s)$/u.test(item) && !/^(true|false|null|~|yes|no|on|off|[-+.\d].*)$/i.test(item);
  return plain ? item : JSON.stringify(item);
}

function endOfLine(source: string, from: number): number {
  const nl = source.indexOf('\n', from);
  return nl === -1 ? source.length : nl;
}

function columnOf(source: string, offset: number): number {
  return offset - (source.lastIndexOf('\n', offset - 1) + 1);
}

function lineOf(source: string, offset: number): number {
  return source.slice(0, offset).split('\n').length;
}
