import { parse } from 'csv-parse/sync';
import { Document, isMap, isScalar, isSeq, visit } from 'yaml';
import type { Problem } from '../errors.js';
import { DEFAULT_FORBIDDEN_PHRASES } from './forbidden.js';

/** A question and answer from the shop's own FAQ sheet (the Q&A lists shops keep, or export from other tools). */
export interface FaqRow {
  /** The spreadsheet line it starts on, for messages staff can act on. */
  line: number;
  question: string;
  keywords: string[];
  answers: string[];
}

/** The sheet's reference column: what staff answered at the desk. Not a 回答 column (HEADERS.answer does not match it). */
export const STAFF_ANSWER_COLUMN = '客服当时的回答（参考，不导入）';

/** Column headers understood, in Chinese or English (the first row names the columns). */
const HEADERS = {
  question: /^(问题|标准问题|question|q)$/i,
  keywords: /^(关键词|关键字|keywords?)$/i,
  answer: /^(回答|答案|answer|a)\s*\d*$/i,
} as const;
/** Keywords are written in one cell, separated the ways people separate words there. */
const KEYWORD_SEPARATORS = /[、,，;；|｜/\n]+/;
/**
 * Priority of imported intents: the shop's own answers come before the defaults' everyday
 * questions (up to 30) that share a keyword, and after after-sale problems, complaints and 转人工.
 */
export const IMPORTED_PRIORITY = 31;

/** Excel saves Chinese CSV as GB18030 (GBK); UTF-8, with or without a BOM, is read as such. */
export function decodeSheet(bytes: Buffer): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes).replace(/^\uFEFF/, '');
  } catch {
    return new TextDecoder('gb18030').decode(bytes);
  }
}

/**
 * The rows of a FAQ sheet (CSV), each checked: a question, keywords customers use, an answer, and
 * no phrase the shop may never say. Every problem is reported with its line, and any problem
 * means nothing is imported.
 */
export function parseFaqSheet(
  text: string, file: string, forbidden: readonly string[] = DEFAULT_FORBIDDEN_PHRASES,
): { rows: FaqRow[]; problems: Problem[]; /** questions left without keywords and answer: not filled in, not imported */ skipped: number } {
  const problems: Problem[] = [];
  const at = (line: number, field: string, message: string) => problems.push({ file, line, col: 1, field, message, severity: 'error' });
  let records: { record: string[]; info: { lines: number } }[];
  try {
    records = parse(text, { bom: true, relax_column_count: true, skip_empty_lines: true, trim: true, info: true }) as unknown as typeof records;
  } catch (err) {
    at((err as { lines?: number }).lines ?? 1, '', `not a CSV file this can read: ${(err as Error).message}`);
    return { rows: [], problems, skipped: 0 };
  }
  const [header, ...body] = records;
  const cols = header?.record ?? [];
  const q = cols.findIndex((c) => HEADERS.question.test(c));
  const k = cols.findIndex((c) => HEADERS.keywords.test(c));
  const a = cols.flatMap((c, i) => (HEADERS.answer.test(c) ? [i] : []));
  if (q < 0 || k < 0 || a.length === 0) {
    at(1, 'header', `the first row names the columns 问题, 关键词 and 回答 (回答2, 回答3… for variations); found: ${cols.join(', ') || '(nothing)'}`);
    return { rows: [], problems, skipped: 0 };
  }
  const rows: FaqRow[] = [];
  let skipped = 0;
  const seen = new Map<string, number>();
  for (const { record, info } of body) {
    // info.lines is the line the record ends on; a record starts where the previous one ended.
    const line = info.lines - (record.join('').split('\n').length - 1);
    const question = (record[q] ?? '').replace(/\s+/g, ' ').trim(); // a name: one line
    const keywords = (record[k] ?? '').split(KEYWORD_SEPARATORS).map((s) => s.trim()).filter(Boolean);
    const answers = a.map((i) => record[i] ?? '').filter(Boolean);
    if (!question && !keywords.length && !answers.length) continue;
    // A question with neither keywords nor an answer is one not filled in yet (a sheet from `xiaoer report --faq-sheet`).
    if (question && !keywords.length && !answers.length) {
      skipped += 1;
      continue;
    }
    if (!question) at(line, '问题', 'empty: write the question as customers ask it');
    if (!keywords.length) at(line, '关键词', `empty: write the words customers use for "${question}", separated by 、 (e.g. 机洗、水洗)`);
    if (!answers.length) at(line, '回答', `empty: write the answer to "${question}"`);
    for (const text of answers) {
      const bad = forbidden.find((p) => text.includes(p));
      if (bad) at(line, '回答', `contains "${bad}", which a shop should never say to a customer (domain.md §6): say it another way`);
    }
    const dup = seen.get(question);
    if (question && dup !== undefined) at(line, '问题', `the same question as line ${dup}: merge the two rows`);
    if (question) seen.set(question, line);
    rows.push({ line, question, keywords, answers });
  }
  if (!rows.length && !problems.length) at(2, '', skipped ? `none of the ${skipped} questions has 关键词 and 回答 filled in yet` : 'no questions below the header row');
  return { rows, problems, skipped };
}

/** The playbook file for these rows: one intent, one rule and one response each, commented with where it came from. */
export function faqPlaybookYaml(rows: readonly FaqRow[], source: string): string {
  const name = (r: FaqRow) => `问答：${r.question}`;
  const doc = new Document({
    intents: Object.fromEntries(rows.map((r) => [name(r), { priority: IMPORTED_PRIORITY, phrases: r.keywords }])),
    rules: rows.map((r, i) => ({ name: name(r), when: { intent: name(r) }, then: [{ reply: `faq-import-${i + 1}` }] })),
    responses: Object.fromEntries(rows.map((r, i) => [`faq-import-${i + 1}`, r.answers])),
  });
  // Keywords, conditions and actions on one line each, as the default playbooks write them.
  visit(doc, {
    Pair(_, pair) {
      const key = isScalar(pair.key) ? String(pair.key.value) : '';
      if ((key === 'phrases' || key === 'when' || key === 'then') && (isSeq(pair.value) || isMap(pair.value))) pair.value.flow = true;
    },
  });
  doc.commentBefore = ` 常见问答 — imported by \`xiaoer faq import\` from ${source} (${rows.length} questions).\n`
    + ' Each question: its keywords (intent), when to answer (rule) and the answer (response). Edit freely;\n'
    + ' import again only into a new file. Check a change with: npx xiaoer replay --shop ID --draft <this folder>';
  return doc.toString({ lineWidth: 0 });
}

/**
 * A FAQ sheet to fill in: the questions customers asked that no rule answered, most asked first,
 * with 关键词 and 回答 left for staff (rows left empty are not imported), and beside them what a
 * person answered the question with at the desk, to start the 回答 from (a column the import does
 * not read: one customer's reply may name their order). UTF-8 with a BOM so Excel
 * opens it as Chinese. Quoting written here: every cell quoted, quotes doubled (RFC 4180), which
 * is all a sheet of plain questions needs.
 */
export function faqSheetCsv(questions: readonly { text: string; count: number; staffAnswer?: string }[]): string {
  const cell = (v: string | number) => `"${String(v).replace(/"/g, '""')}"`;
  const lines = [['问题', '关键词', '回答', '次数', STAFF_ANSWER_COLUMN], ...questions.map((q) => [q.text, '', '', q.count, q.staffAnswer ?? ''])];
  return `\uFEFF${lines.map((l) => l.map(cell).join(',')).join('\r\n')}\r\n`;
}
