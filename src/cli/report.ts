import { parseArgs } from 'node:util';
import { readEnvOptions } from '../config/env.js';
import { loadConfig, resolveConfigPath } from '../config/load.js';
import { migrateToLatest, openDb } from '../db/index.js';
import { loadPlaybooks } from '../playbook/load.js';
import { buildReport, formatReport } from '../report/index.js';
import { reportPeriod } from '../report/period.js';

const DAY_MS = 86_400_000;
const USAGE = 'usage: xiaoer report [--shop ID] [--days N | --from YYYY-MM-DD [--to YYYY-MM-DD]] [--json]   (no --shop: every shop)\n';

/**
 * `xiaoer report [--shop acme]`: the week's reception, response times, 询单转化率, 催付 results and
 * the questions the bot did not understand — the figures domain.md §10 names, from the
 * database the service writes (any instance's).
 */
export async function runReport(args: string[], now = Date.now()): Promise<number> {
  const { values } = parseArgs({
    args, strict: true,
    options: { shop: { type: 'string', short: 's' }, days: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' }, json: { type: 'boolean' } },
  });
  const env = readEnvOptions();
  const config = loadConfig(resolveConfigPath(env.configPath).path);
  // No --shop: every shop in the config, one after another (each in its own time zone).
  const shops = values.shop === undefined ? config.shops : config.shops.filter((s) => s.id === values.shop);
  if (shops.length === 0) {
    process.stderr.write(`no shop "${values.shop}" in the config (shops: ${config.shops.map((s) => s.id).join(', ')})\n`);
    return 1;
  }
  let periods;
  try {
    periods = shops.map((shop) => reportPeriod(values, shop.timezone, now));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${USAGE}`);
    return 1;
  }
  const handle = openDb(env.databaseUrl);
  try {
    await migrateToLatest(handle.db);
    const reports = [];
    for (const [i, shop] of shops.entries()) {
      // Retention deleted what is older: the report says where its figures start to be whole.
      const keptSince = config.retention ? now - config.retention.days * DAY_MS : null;
      reports.push(await buildReport(handle.db, shop, loadPlaybooks(shop.playbooksDir).playbook, periods[i]!, keptSince));
    }
    process.stdout.write(values.json
      ? `${JSON.stringify(values.shop === undefined ? reports : reports[0], null, 2)}\n`
      : reports.map(formatReport).join('\n'));
    return 0;
  } finally {
    await handle.close();
  }
}
