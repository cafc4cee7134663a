import { parseArgs } from 'node:util';
import { cliConfig, pickShops } from './shops.js';
import { formatProblem } from '../errors.js';
import { runFixtures, uncovered } from '../playbook/fixtures.js';
import { loadPlaybooks } from '../playbook/load.js';

/** `xiaoer test [--shop ID]`: plays every *.test.yml conversation against the shop's playbooks. */
export async function runTest(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { shop: { type: 'string', short: 's' }, config: { type: 'string', short: 'c' } }, strict: true });
  const picked = pickShops(cliConfig(values.config), values.shop, 'all');
  if ('error' in picked) {
    process.stderr.write(`${picked.error}\n`);
    return 1;
  }
  const { shops } = picked;
  let failed = 0;
  for (const shop of shops) {
    const { playbook, problems } = loadPlaybooks(shop.playbooksDir);
    if (!playbook) {
      for (const p of problems) process.stderr.write(`${formatProblem(p)}\n`);
      failed += 1;
      continue;
    }
    const run = runFixtures(shop.playbooksDir, playbook, shop);
    for (const p of run.problems) process.stderr.write(`${formatProblem(p)}\n`);
    failed += run.problems.filter((p) => p.severity === 'error').length;
    for (const r of run.results) {
      process.stdout.write(`${r.ok ? '✓' : '✗'} ${shop.id} · ${r.name}${r.ok ? '' : `\n    ${r.failure}`}\n`);
      if (!r.ok) failed += 1;
    }
    const missing = uncovered(playbook, run.fired);
    if (missing.length) process.stdout.write(`  rules no conversation reaches: ${missing.join(', ')}\n`);
    process.stdout.write(`${shop.id}: ${run.results.filter((r) => r.ok).length}/${run.results.length} conversations pass\n`);
  }
  return failed ? 1 : 0;
}
