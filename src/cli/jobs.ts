import { parseArgs } from 'node:util';
import { readEnvOptions } from '../config/env.js';
import { unknownShopError } from './shops.js';
import { migrateToLatest, openDb } from '../db/index.js';
import { listJobs } from '../db/jobs.js';

const USAGE = 'usage: xiaoer jobs list [--shop ID] [--state pending|skipped|cancelled|done] [--limit N] [--json]\n';
/** Finished follow-ups listed by default: the latest, enough to see why a message did not go out. */
const FINISHED_SHOWN = 50;
const STATES = { pending: ['pending', 'running'], skipped: ['skipped'], cancelled: ['cancelled'], done: ['done'] } as const;

/**
 * `xiaoer jobs list [--shop ID] [--state …] [--json]`: pending follow-ups with due time, rule,
 * customer and order; or, with --state skipped (a cap, an opt-out, stale), cancelled or done, the
 * latest finished ones with why.
 */
export async function runJobs(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args, allowPositionals: true, strict: true,
    options: { shop: { type: 'string', short: 's' }, state: { type: 'string' }, limit: { type: 'string' }, json: { type: 'boolean' } },
  });
  const state = (values.state ?? 'pending') as keyof typeof STATES;
  if (positionals[0] !== 'list' || !(state in STATES)) {
    process.stderr.write(values.state !== undefined && !(state in STATES) ? `--state must be one of ${Object.keys(STATES).join(', ')} (got "${values.state}")\n` : USAGE);
    return 1;
  }
  const finished = state !== 'pending';
  const limit = values.limit === undefined ? (finished ? FINISHED_SHOWN : undefined) : Number(values.limit);
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 1)) {
    process.stderr.write(`--limit must be a positive whole number (got "${values.limit}")\n`);
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
    const jobs = await listJobs(handle.db, {
      ...(values.shop ? { shopId: values.shop } : {}), states: [...STATES[state]], latest: finished, ...(limit !== undefined ? { limit } : {}),
    });
    if (values.json) {
      process.stdout.write(`${JSON.stringify(jobs.map((j) => ({
        id: j.id, shop: j.shopId, due: new Date(j.dueAt).toISOString(), rule: j.rule, kind: j.kind, category: j.category,
        customer: `${j.customerChannel}:${j.customerUserId}`, order: j.orderId, state: j.state, note: j.reason,
      })), null, 2)}\n`);
      return 0;
    }
    if (jobs.length === 0) process.stdout.write(finished ? `no ${state} follow-ups\n` : 'no pending follow-ups\n');
    for (const j of jobs) {
      process.stdout.write(`${new Date(j.dueAt).toISOString()}  ${j.shopId}  ${j.rule}  ${j.customerChannel}:${j.customerUserId}  order ${j.orderId ?? '-'}${j.reason ? `  (${j.reason})` : ''}\n`);
    }
    return 0;
  } finally {
    await handle.close();
  }
}
