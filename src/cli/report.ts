import { parseArgs } from 'node:util';
import { readEnvOptions } from '../config/env.js';
import { loadConfig, resolveConfigPath } from '../config/load.js';
import { migrateToLatest, openDb } from '../db/index.js';
import { loadPlaybooks } from '../playbook/load.js';
import { buildReport, formatReport } from '../report/index.js';
import { reportPeriod } from '../report/period.js';

const USAGE = 'usage: xiaoer report --shop ID [--days N | --from YYYY-MM-DD [--to YYYY-MM-DD]] [--json]\n';

/**
 * `xiaoer report --shop acme`: the week's reception, response times, 询单转化率, 催付 results and
 * the questions the bot did not understand — the figures domain.md §10 names, from the
 * database the service writes (any instance's).
 */
export async function runReport(args: string[], now = Date.now()): Promise<number> {
  const { values } = parseArgs({
    args, strict: true,
    options: { shop: { type: 'string', short: 's' }, days: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' }, json: { type: 'boolean' } },
  });
  if (!values.shop) {
    process.stderr.write(USAGE);
    return 1;
  }
  const env = readEnvOptions();
  const config = loadConfig(resolveConfigPath(env.configPath).path);
  const shop = config.shops.find((s) => s.id === values.shop);
  if (!shop) {
    process.stderr.write(`no shop "${values.shop}" in the config (shops: ${config.shops.map((s) => s.id).join(', ')})\n`);
    return 1;
  }
  let period;
  try {
    period = reportPeriod(values, shop.timezone, now);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${USAGE}`);
    return 1;
  }
  const { playbook } = loadPlaybooks(shop.playbooksDir);
  const handle = openDb(env.databaseUrl);
  try {
    await migrateToLatest(handle.db);
    const report = await buildReport(handle.db, shop, playbook, period);
    process.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report));
    return 0;
  } finally {
    await handle.close();
  }
}
