import { parseArgs } from 'node:util';
import { cliConfig, pickShop } from './shops.js';
import { formatProblem } from '../errors.js';
import { MAX_OTHER_ANSWERS } from '../engine/decide.js';
import { ORDER_STATES } from '../playbook/schema.js';
import { writeAnswer } from './explain-answer.js';
import { HHMM } from '../engine/time.js';
import { understandNormalized } from '../engine/understand.js';
import { matchPhrases } from '../nlu/matcher.js';
import { normalize } from '../nlu/normalize.js';
import { likelyGuess, RESEMBLANCE_MARGIN, similarIntents, suggestionsFor, withGuess } from '../engine/suggest.js';
import { styleOf } from '../nlu/style.js';
import { loadPlaybooks } from '../playbook/load.js';

/** `xiaoer explain "<text>" --shop ID`: how the bot reads a message, step by step, for staff. */
/** How many of the closest intents explain shows for a message nothing recognises. */
const NEAR_SHOWN = 5;

export async function runExplain(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args, allowPositionals: true, strict: true,
    options: { shop: { type: 'string', short: 's' }, config: { type: 'string', short: 'c' }, time: { type: 'string' }, order: { type: 'string' } },
  });
  const text = positionals.join(' ');
  if (!text) {
    process.stderr.write(`usage: xiaoer explain "<customer text>" [--shop ID] [--time HH:MM] [--order ${ORDER_STATES.join('|')}]\n`);
    return 1;
  }
  if (values.time !== undefined && !HHMM.test(values.time)) {
    process.stderr.write(`explain: --time ${values.time}: use 24-hour HH:MM, e.g. --time 23:30\n`);
    return 1;
  }
  if (values.order !== undefined && !(ORDER_STATES as readonly string[]).includes(values.order)) {
    process.stderr.write(`explain: --order ${values.order}: one of ${ORDER_STATES.join(', ')}\n`);
    return 1;
  }
  const config = cliConfig(values.config);
  const picked = pickShop(config, values.shop, 'first');
  if ('error' in picked) {
    process.stderr.write(`${picked.error}\n`);
    return 1;
  }
  const { shop } = picked;
  const { playbook, problems } = loadPlaybooks(shop.playbooksDir);
  if (!playbook) {
    for (const p of problems) process.stderr.write(`${formatProblem(p)}\n`);
    return 1;
  }
  const n = normalize(text);
  const u = understandNormalized(n, playbook);
  const out = process.stdout;
  out.write(`shop:        ${shop.id}\n`);
  out.write(`message:     ${text}\n`);
  out.write(`normalized:  ${n.text || '(empty)'}\n`);
  out.write(`words:       ${n.tokens.map((t) => t.text).join(' | ') || '(none)'}\n`);
  out.write('candidates:\n');
  if (u.candidates.length === 0) out.write('  (none: no intent phrase found)\n');
  for (const c of u.candidates) {
    const def = playbook.intents.find((i) => i.name === c.intent)!;
    out.write(`  ${c.intent.padEnd(20)} priority ${String(def.priority).padStart(4)}  score ${c.score.toFixed(1).padStart(4)}  via ${c.phrases.map((p) => `"${p.phrase}" (${p.via})`).join(', ')}\n`);
  }
  const types = matchPhrases(playbook.nlu, n).filter((h) => h.entry.type !== null);
  if (types.length) out.write(`type cues:   ${types.map((h) => `${h.entry.type}: "${h.entry.phrase}"`).join(', ')}\n`);
  const read = withGuess(playbook, text, u);
  if (read.resembled !== undefined) {
    const above = playbook.fallback!.suggest!.answerAbove!;
    out.write(`winner:      ${read.intent} — by likeness, not a phrase: ${read.resembled.toFixed(2)} alike to its examples (fallback.suggest.answerAbove ${above}),`
      + ` at least ${RESEMBLANCE_MARGIN} more than to any other intent\n`);
  } else out.write(`winner:      ${u.intent ?? '(none) — the fallback answers; two misses in a row hand off'}${u.type ? ` (${u.type})` : ''}\n`);
  const opposite = read.intent === null ? likelyGuess(playbook, text, u.negated) : null;
  if (opposite) {
    out.write(`not guessed: ${opposite.score.toFixed(2)} alike to ${opposite.intent}'s "${opposite.example}", but one of them says "not" (不/没/别…) and the other does not: they may mean the opposite\n`);
  }
  if (read.intent === null && playbook.fallback?.suggest) {
    // What 您是想问… would offer, and why: the closest examples' intents with their scores.
    const offered = suggestionsFor(playbook, text, u.negated);
    const near = similarIntents(playbook, text).slice(0, NEAR_SHOWN);
    out.write(`resembles:   ${near.map((s) => `${s.intent} ${s.score.toFixed(2)}${offered.includes(s.intent) ? ' (offered)' : ''}`).join(', ') || '(nothing)'}`
      + `${offered.length ? '' : ' — nothing offered'}\n`);
  }
  out.write(`style:       ${styleOf(text)}\n`);
  const also = u.also.slice(0, MAX_OTHER_ANSWERS);
  if (also.length) out.write(`also asked:  ${also.map((a) => `${a.intent} (${a.before ? 'before' : 'after'} it, answered too)`).join(', ')}\n`);
  writeAnswer(out, shop, playbook, text, { time: values.time, order: values.order });
  return 0;
}
