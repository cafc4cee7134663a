import { existsSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { readEnvOptions } from '../config/env.js';
import { cliConfig, pickShops } from './shops.js';
import { migrateToLatest, openDb } from '../db/index.js';
import { faqSheetCsv } from '../playbook/faq-import.js';
import { loadPlaybooks } from '../playbook/load.js';
import { buildReport, formatReport } from '../report/index.js';
import { reportPeriod } from '../report/period.js';

const DAY_MS = 86_400_000;
/** Questions written to a --faq-sheet at most: the most asked. */
const FAQ_SHEET_QUESTIONS = 100;
const USAGE = 'usage: xiaoer report [--shop ID] [--days N | --from YYYY-MM-DD [--to YYYY-MM-DD]] [--json | --faq-sheet FILE.csv]   (no --shop: every shop)\n';

/**
 * `xiaoer report [--shop acme]`: the week's reception, response times, 询单转化率, 催付 results and
 * the questions the bot did not understand — the figures domain.md §10 names, from the
 * database the service writes (any instance's).
 */
export async function runReport(args: string[], now = Date.now()): Promise<number> {
  const { values } = parseArgs({
    args, strict: true,
    options: {
      shop: { type: 'string', short: 's' }, days: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' }, json: { type: 'boolean' },
      'faq-sheet': { type: 'string' },
    },
  });
  const env = readEnvOptions();
  const config = cliConfig();
  // No --shop: every shop in the config, one after another (each in its own time zone).
  const picked = pickShops(config, values.shop, 'all');
  if ('error' in picked) {
    process.stderr.write(`${picked.error}\n`);
    return 1;
  }
  const { shops } = picked;
  const sheet = values['faq-sheet'];
  if (sheet !== undefined && (values.shop === undefined || existsSync(sheet))) {
    process.stderr.write(values.shop === undefined ? `report: --faq-sheet needs --shop: one sheet per shop\n${USAGE}` : `report: ${sheet} exists: choose another file\n`);
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
      reports.push(await buildReport(handle.db, shop, loadPlaybooks(shop.playbooksDir).playbook, periods[i]!, keptSince, sheet ? FAQ_SHEET_QUESTIONS : undefined));
    }
    if (sheet) {
      // §10: a question asked by four or five customers becomes a saved answer — here, a sheet to fill in and import.
      const asked = reports[0]!.notUnderstood;
      writeFileSync(sheet, faqSheetCsv(asked));
      process.stdout.write(`wrote ${asked.length} questions customers asked that no rule answered (${reports[0]!.period.from} – ${reports[0]!.period.to}) to ${sheet}\n`
        + 'fill in 关键词 and 回答 for the ones worth answering (leave the others empty), then:\n'
        + `  npx xiaoer faq import ${sheet} --out playbooks-draft/faq.yml\n`);
      return 0;
    }
    process.stdout.write(values.json
      ? `${JSON.stringify(values.shop === undefined ? reports : reports[0], null, 2)}\n`
      : reports.map(formatReport).join('\n'));
    return 0;
  } finally {
    await handle.close();
  }
}
