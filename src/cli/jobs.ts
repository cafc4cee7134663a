import { parseArgs } from 'node:util';
import { readEnvOptions } from '../config/env.js';
import { unknownShopError } from './shops.js';
import { migrateToLatest, openDb } from '../db/index.js';
import { listJobs } from '../db/jobs.js';

/** `xiaoer jobs list [--shop ID] [--json]`: pending follow-ups with due time, rule, customer and order. */
export async function runJobs(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, options: { shop: { type: 'string', short: 's' }, json: { type: 'boolean' } }, allowPositionals: true, strict: true });
  if (positionals[0] !== 'list') {
    process.stderr.write('usage: xiaoer jobs list [--shop ID] [--json]\n');
    return 1;
  }
  const unknownShop = unknownShopError(values.shop);
  if (unknownShop) {
    process.stderr.write(`${unknownShop}\n`);
    return 1;
  }
  const env = readEnvOptions();
  const handle = openDb(env.databaseUrl);
  try {
    await migrateToLatest(handle.db);
    const jobs = await listJobs(handle.db, { ...(values.shop ? { shopId: values.shop } : {}), states: ['pending', 'running'] });
    if (values.json) {
      process.stdout.write(`${JSON.stringify(jobs.map((j) => ({
        id: j.id, shop: j.shopId, due: new Date(j.dueAt).toISOString(), rule: j.rule, kind: j.kind, category: j.category,
        customer: `${j.customerChannel}:${j.customerUserId}`, order: j.orderId, state: j.state, note: j.reason,
      })), null, 2)}\n`);
      return 0;
    }
    if (jobs.length === 0) process.stdout.write('no pending follow-ups\n');
    for (const j of jobs) {
      process.stdout.write(`${new Date(j.dueAt).toISOString()}  ${j.shopId}  ${j.rule}  ${j.customerChannel}:${j.customerUserId}  order ${j.orderId ?? '-'}${j.reason ? `  (${j.reason})` : ''}\n`);
    }
    return 0;
  } finally {
    await handle.close();
  }
}
