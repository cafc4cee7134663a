/**
 * npm run eval — accuracy per intent, a confusion table and the overall figure on the labelled
 * customer messages (test/fixtures/utterances.jsonl), for the tune split, the holdout split
 * (never looked at while tuning) and both. Exit code 1 below the targets or when a holdout message
 * understood before is missed now. `--errors` lists misses; `--accept-holdout` records which holdout
 * messages are understood now (test/fixtures/holdout-understood.txt), after a change that misses some on purpose.
 */
import { loadPlaybooks } from '../../src/playbook/load.js';
import { DEFAULT_PLAYBOOKS } from '../helpers/service.js';
import { evaluate, holdoutRegressions, loadUnderstood, loadUtterances, meetsTargets, understoodTexts, writeUnderstood } from './evaluate.js';
import type { Report } from './evaluate.js';

const { playbook, problems } = loadPlaybooks(DEFAULT_PLAYBOOKS);
if (!playbook) throw new Error(problems.map((p) => p.message).join('\n'));
const all = loadUtterances();
const pct = (x: number) => `${(x * 100).toFixed(1)} %`;

function print(name: string, r: Report): void {
  const s = r.suggest;
  console.log(`\n== ${name}: ${r.total} messages — overall ${pct(r.accuracy)} · handoff recall ${pct(r.recall.handoff)} · optout recall ${pct(r.recall.optout)} · false handoff ${r.falsePositives.handoff.length} · false optout ${r.falsePositives.optout.length} · bargainer type ${pct(r.bargainer.accuracy)} (${r.bargainer.correct}/${r.bargainer.total})`);
  console.log(`   您是想问: ${s.missed} missed (${s.askable} meaning a question the shop offers) → ${s.offered} offered choices, the meant one among them ${s.right} (first ${s.rightFirst}); ${s.offeredMeaningless} of ${s.meaningless} meaning nothing got choices`);
  console.log(`   answered by likeness to examples (no phrase matched): ${r.resembled.answered}, rightly ${r.resembled.right}`);
}

const reports = { tune: evaluate(playbook, all.filter((u) => u.split === 'tune')), holdout: evaluate(playbook, all.filter((u) => u.split === 'holdout')), all: evaluate(playbook, all) };
const r = reports.all;
console.log('intent                 n   correct  recall  precision');
for (const [intent, row] of [...r.perIntent.entries()].sort()) {
  if (!row.total) continue;
  console.log(`${intent.padEnd(20)} ${String(row.total).padStart(4)} ${String(row.correct).padStart(8)}  ${pct(row.correct / row.total).padStart(7)}  ${row.predicted ? pct(row.correct / row.predicted).padStart(8) : '     n/a'}`);
}
console.log('\nconfusion (label → recognised, off-diagonal only)');
for (const [want, row] of [...r.confusion.entries()].sort()) {
  const off = [...row.entries()].filter(([got]) => got !== want);
  if (off.length) console.log(`  ${want.padEnd(20)} → ${off.map(([got, n]) => `${got} ×${n}`).join(', ')}`);
}
print('tune', reports.tune);
print('holdout', reports.holdout);
print('all', reports.all);
if (process.argv.includes('--errors')) {
  const which = process.argv.includes('--holdout') ? reports.holdout : reports.tune; // tuning looks at the tune split only
  for (const e of which.errors) console.log(`  ✗ ${e.u.text}  → ${e.got} (want ${e.u.intent ?? '(none)'}${e.u.bargainer ? `/${e.u.bargainer}` : ''})`);
}
const holdout = all.filter((u) => u.split === 'holdout');
if (process.argv.includes('--accept-holdout')) {
  writeUnderstood(understoodTexts(holdout, reports.holdout));
  console.log(`\nrecorded: ${understoodTexts(holdout, reports.holdout).length} holdout messages understood`);
}
const lost = holdoutRegressions(holdout, reports.holdout, loadUnderstood());
const misses = meetsTargets(reports.all, reports.tune);
if (lost.missed.length) misses.push(`${lost.missed.length} holdout message(s) understood before are missed now: ${lost.missed.join(' | ')}`);
if (lost.unknown.length) misses.push(`holdout-understood.txt lists text no longer in the holdout: ${lost.unknown.join(' | ')} (--accept-holdout)`);
console.log(misses.length ? `\nBELOW TARGET: ${misses.join('; ')}` : '\nall targets met');
process.exitCode = misses.length ? 1 : 0;
