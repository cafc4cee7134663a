import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { Problem } from '../errors.js';
import { locate, readYaml, zodProblems } from '../config/yaml.js';
import type { LocatedYaml } from '../config/yaml.js';
import { compilePhrases, durationMs, foldText } from './compiled.js';
import { buildIndex } from '../nlu/matcher.js';
import { addWords, normalizePhrase } from '../nlu/normalize.js';
import type { CompiledFallback, CompiledPlaybook, CompiledRule } from './compiled.js';
import { checkSuggestReply, compileExamples } from './compile-suggest.js';
import { DEFAULT_FORBIDDEN_PHRASES } from './forbidden.js';
import { checkText, compileIntents, compileResponses, problem } from './compile-text.js';
import type { Parsed } from './compile-text.js';
import { actionShapes, playbookFileSchema, settingsSchema } from './schema.js';
import { allFieldNames } from '../config/fields.js';
import { findShadowed } from './shadow.js';

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
  const parsed: Parsed[] = [];
  const problems: Problem[] = [];
  for (const file of files) {
    const shown = relative(displayBase, file) || file;
    const { yaml, problems: syntax } = readYaml(shown, readFileSync(file, 'utf8'), playbookFields());
    problems.push(...syntax);
    if (syntax.some((p) => p.severity === 'error')) continue;
    const result = playbookFileSchema.safeParse(yaml.doc.toJS() ?? {});
    if (!result.success) {
      problems.push(...zodProblems(yaml, result.error, [], playbookFileSchema));
      continue;
    }
    parsed.push({ yaml, data: result.data });
  }
  const unread = problems.length;
  const compiled = compile(parsed, problems);
  if (unread > 0 && problems.slice(0, unread).some((p) => p.severity === 'error')) summarizeFollowOn(problems, unread);
  const failed = problems.some((p) => p.severity === 'error');
  return { playbook: failed ? null : compiled, problems };
}

/**
 * A file that did not load leaves every name it defines unknown to the others: one typo in
 * intents.yml made ~120 "unknown intent" errors, burying the one to fix. Those that follow are
 * counted in one line instead, to be seen again (if still there) once the file loads.
 */
function summarizeFollowOn(problems: Problem[], unread: number): void {
  const after = problems.splice(unread);
  const hidden = after.filter((p) => p.severity === 'error').length;
  if (hidden === 0) return;
  const first = problems.find((p) => p.severity === 'error')!;
  const files = [...new Set(problems.filter((p) => p.severity === 'error').map((p) => p.file))].join(', ');
  problems.push({
    ...first, field: '', severity: 'error',
    message: `${hidden} more error(s) in the other playbooks not shown: they may only follow from ${files} not loading (names defined there look unknown); fix the above first, then check again`,
  });
}

function compile(parsed: Parsed[], problems: Problem[]): CompiledPlaybook {
  const settings = compileSettings(parsed, problems);
  // Before the phrases are indexed and any message is cut: the shop's whole words (人工草坪) first.
  addWords(settings.words.map(normalizePhrase));
  const forbidden = [...DEFAULT_FORBIDDEN_PHRASES, ...settings.forbiddenPhrases];
  const synonyms = new Map<string, string[]>();
  for (const { data } of parsed) for (const [w, alts] of Object.entries(data.synonyms)) synonyms.set(normalizePhrase(w), alts.map(normalizePhrase));

  const intents = compileIntents(parsed, synonyms, problems);
  const examples = compileExamples(parsed, intents, forbidden, problems);
  const slotsSet = new Set<string>(['gift']);
  for (const { data } of parsed) for (const r of data.rules) for (const a of r.then) if ('set' in a) for (const k of Object.keys(a.set)) slotsSet.add(k);
  const responses = compileResponses(parsed, slotsSet, forbidden, problems);
  const expected = new Set<string>();
  for (const { data } of parsed) for (const r of data.rules) for (const a of r.then) if ('expect' in a) expected.add(a.expect);

  const rules: CompiledRule[] = [];
  const ruleAt = new Map<string, string>();
  let fallback: CompiledFallback | null = null;
  let fallbackAt = '';
  const laterChecks: (() => void)[] = [];
  for (const { yaml, data } of parsed) {
    data.rules.forEach((r, i) => {
      const at = locate(yaml, ['rules', i, 'name']);
      if (ruleAt.has(r.name)) problems.push(problem(yaml.file, at.line, at.col, `rules[${i}].name`, `rule name "${r.name}" is already used at ${ruleAt.get(r.name)}`));
      ruleAt.set(r.name, `${yaml.file}:${at.line}`);
      r.then.forEach((a, j) => {
        const path = ['rules', i, 'then', j];
        if ('reply' in a) checkName(yaml, [...path, 'reply'], a.reply, 'response', [...responses.keys()], problems);
        if ('alert' in a) checkText(yaml, [...path, 'alert'], a.alert, slotsSet, forbidden, problems);
        if ('handoff' in a && r.when.waiting) {
          const pos = locate(yaml, [...path, 'handoff']);
          problems.push(problem(yaml.file, pos.line, pos.col, [...path, 'handoff'].join('.'),
            'the customer is already waiting for a person (when.waiting): this rule cannot hand over again; alert staff or reply instead'));
        } else if ('handoff' in a && a.handoff !== true) checkText(yaml, [...path, 'handoff', 'reason'], a.handoff.reason, slotsSet, forbidden, problems);
        if ('schedule' in a) {
          laterChecks.push(() => {
            checkName(yaml, [...path, 'schedule', 'rule'], a.schedule.rule, 'rule', [...ruleAt.keys()], problems);
            const target = rules.find((x) => x.name === a.schedule.rule);
            if (target && target.event !== 'schedule') {
              const pos = locate(yaml, [...path, 'schedule', 'rule']);
              problems.push(problem(yaml.file, pos.line, pos.col, [...path, 'schedule', 'rule'].join('.'),
                `rule "${target.name}" is scheduled but its when.event is ${target.event}; a follow-up rule needs event: schedule`));
            }
          });
        }
        if ('cancel' in a) {
          laterChecks.push(() => a.cancel.forEach((name, k) => {
            if (name !== 'marketing') checkName(yaml, [...path, 'cancel', k], name, 'rule', [...ruleAt.keys()], problems);
          }));
        }
      });
      for (const name of list(r.when.intent)) checkName(yaml, ['rules', i, 'when', 'intent'], name, 'intent', intents.map((x) => x.name), problems);
      list(r.when.expecting).forEach((name, j) => {
        const path = Array.isArray(r.when.expecting) ? ['rules', i, 'when', 'expecting', j] : ['rules', i, 'when', 'expecting'];
        checkName(yaml, path, name, 'expecting (no rule asks for it with an expect action)', [...expected], problems);
        if (r.when.event !== 'message' && r.when.event !== 'first_message') {
          const pos = locate(yaml, path);
          problems.push(problem(yaml.file, pos.line, pos.col, path.join('.'), `expecting reads the customer's next message, but event ${r.when.event} is not a message; drop one of them`));
        }
      });
      if (r.when.waiting && r.when.event !== 'message') {
        const pos = locate(yaml, ['rules', i, 'when', 'waiting']);
        problems.push(problem(yaml.file, pos.line, pos.col, `rules[${i}].when.waiting`,
          `waiting is about a customer's message while they wait for a person, but event ${r.when.event} is not one; drop one of them`));
      }
      if (r.when.fired?.rule) {
        const target = r.when.fired.rule;
        laterChecks.push(() => {
          if (typeof target === 'string') checkName(yaml, ['rules', i, 'when', 'fired', 'rule'], target, 'rule', [...ruleAt.keys()], problems);
          else target.forEach((t, k) => checkName(yaml, ['rules', i, 'when', 'fired', 'rule', k], t, 'rule', [...ruleAt.keys()], problems));
        });
      }
      const regex = (r.when.regex ?? []).flatMap((source, j) => {
        try {
          return [new RegExp(source, 'iu')];
        } catch (err) {
          const pos = locate(yaml, ['rules', i, 'when', 'regex', j]);
          problems.push(problem(yaml.file, pos.line, pos.col, `rules[${i}].when.regex[${j}]`, `invalid regular expression: ${(err as Error).message}`));
          return [];
        }
      });
      const w = r.when;
      // A customer's message reads their latest order (orderInView); a chat opening reads none, and
      // no message carries a review or a second order: such a condition would never fire, silently.
      if (!w.event.startsWith('order.') && w.event !== 'schedule') {
        const isMessage = w.event === 'message' || w.event === 'first_message';
        for (const key of ORDER_CONDITIONS) {
          if (w[key] === undefined || (isMessage && MESSAGE_ORDER_CONDITIONS.has(key))) continue;
          const pos = locate(yaml, ['rules', i, 'when', key]);
          problems.push(problem(yaml.file, pos.line, pos.col, `rules[${i}].when.${key}`, isMessage
            ? `${key} is about an order event, but event ${w.event} carries none (a message reads only ${[...MESSAGE_ORDER_CONDITIONS].join(', ')} of the customer's latest order), so this rule could never fire; use an order.* event or schedule`
            : `${key} is about an order, but event ${w.event} carries none, so this rule could never fire; use an order.* event or schedule`));
        }
      }
      rules.push({
        name: r.name, priority: r.priority, order: rules.length, file: yaml.file, line: at.line,
        event: w.event, enabled: r.enabled, category: r.category,
        staleAfterMs: r.staleAfter ? durationMs(r.staleAfter) : undefined,
        orderStates: w.orderState ? new Set(list(w.orderState)) : undefined,
        rating: w.rating, reviewWindow: w.reviewWindow,
        exceptions: w.exception ? new Set(list(w.exception)) : undefined,
        paidElsewhere: w.paidElsewhere,
        boughtAgain: w.boughtAgain,
        items: w.items?.map(foldText),
        orderTotal: w.orderTotal,
        intents: w.intent ? new Set(list(w.intent)) : undefined,
        bargainers: w.bargainer ? new Set(list(w.bargainer)) : undefined,
        keywords: w.keywords ? compilePhrases(w.keywords, synonyms) : undefined,
        regex,
        returning: w.returning, hours: w.hours,
        kinds: w.kind ? new Set(w.kind) : undefined,
        channels: w.channel ? new Set(list(w.channel)) : undefined,
        tags: w.tags ?? [], notTags: w.notTags ?? [],
        tiers: w.tier ? new Set(list(w.tier)) : undefined,
        purchases: w.purchases && {
          ...(w.purchases.atLeast !== undefined ? { atLeast: w.purchases.atLeast } : {}),
          ...(w.purchases.atMost !== undefined ? { atMost: w.purchases.atMost } : {}),
          ...(w.purchases.within ? { withinMs: durationMs(w.purchases.within) } : {}),
        },
        styles: w.style ? new Set(list(w.style)) : undefined,
        slots: Object.entries(w.slots ?? {}).map(([k, v]) => [k, v === null ? null : String(v)] as const),
        expecting: w.expecting ? new Set(list(w.expecting)) : undefined,
        fired: w.fired ? {
          rules: list(w.fired.rule ?? r.name), lessThan: w.fired.lessThan, atLeast: w.fired.atLeast,
          withinMs: w.fired.within ? durationMs(w.fired.within) : undefined,
        } : undefined,
        giftAvailable: w.giftAvailable,
        limit: r.limit, waiting: w.waiting === true, cooldownMs: r.cooldown ? durationMs(r.cooldown) : undefined,
        continue: r.continue, actions: r.then,
      });
    });
    if (data.fallback) {
      const at = locate(yaml, ['fallback']);
      if (fallback) problems.push(problem(yaml.file, at.line, at.col, 'fallback', `fallback is already set in ${fallbackAt}; a shop has one fallback`));
      checkName(yaml, ['fallback', 'reply'], data.fallback.reply, 'response', [...responses.keys()], problems);
      if (data.fallback.suggest) {
        checkName(yaml, ['fallback', 'suggest', 'reply'], data.fallback.suggest.reply, 'response', [...responses.keys()], problems);
        checkSuggestReply({ yaml, data }, responses.get(data.fallback.suggest.reply), intents, problems);
      }
      fallback = data.fallback;
      fallbackAt = `${yaml.file}:${at.line}`;
    }
  }
  for (const check of laterChecks) check();
  if (!fallback && parsed.length) {
    problems.push({ ...problem(parsed[0]!.yaml.file, 1, 1, 'fallback', 'no fallback: messages no rule matches get no answer'), severity: 'warning' });
  }
  rules.sort((a, b) => b.priority - a.priority || a.order - b.order);
  for (const { rule, by } of findShadowed(rules)) {
    problems.push({ ...problem(rule.file, rule.line, 1, `rule ${rule.name}`,
      `unreachable: every message it matches is answered first by rule "${by.name}" (${by.file}:${by.line}); raise its priority or narrow the other rule`), severity: 'warning' });
  }
  return { intents, nlu: buildIndex(intents), rules, responses, fallback, examples, settings, files: parsed.map((p) => p.yaml.file) };
}

function compileSettings(parsed: Parsed[], problems: Problem[]) {
  const withSettings = parsed.filter((p) => p.data.settings);
  for (const extra of withSettings.slice(1)) {
    const at = locate(extra.yaml, ['settings']);
    problems.push(problem(extra.yaml.file, at.line, at.col, 'settings', `settings are already given in ${withSettings[0]!.yaml.file}; a shop has one settings block`));
  }
  return withSettings[0]?.data.settings ?? settingsSchema.parse({});
}

function checkName(yaml: LocatedYaml, path: (string | number)[], name: string, kind: string, known: string[], problems: Problem[]): void {
  if (known.includes(name)) return;
  const pos = locate(yaml, path);
  problems.push(problem(yaml.file, pos.line, pos.col, path.join('.'), `unknown ${kind} "${name}"; defined: ${known.length ? known.join(', ') : '(none)'}`));
}

function list<T>(v: T | T[] | undefined): T[] {
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

/** Field names a playbook may use (actions are checked by hand, so their names are added). */
let fields: ReadonlySet<string> | undefined;
const playbookFields = (): ReadonlySet<string> => (fields ??= new Set([...allFieldNames(playbookFileSchema), ...Object.keys(actionShapes)]));

/** Conditions that read the order an event or follow-up is about. */
const ORDER_CONDITIONS = ['orderState', 'rating', 'reviewWindow', 'exception', 'paidElsewhere', 'boughtAgain', 'items', 'orderTotal'] as const;
/** The ones a customer's message can be checked against, read from their latest order (src/orders/in-view.ts). */
const MESSAGE_ORDER_CONDITIONS: ReadonlySet<string> = new Set(['orderState', 'exception', 'reviewWindow', 'items', 'orderTotal']);


