import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { readEnvOptions } from '../config/env.js';
import { cliConfig, pickShop } from './shops.js';
import { migrateToLatest, openDb } from '../db/index.js';
import { orderEventSchema } from '../orders/event.js';
import { applyOrderEvent } from '../orders/ingest.js';
import type { OrderEvent } from '../orders/event.js';

/**
 * `xiaoer orders import FILE.jsonl --shop ID`: backfills orders from past events (one JSON event
 * per line). Orders and their states are recorded — the same forward-only, idempotent rules as
 * the API — but no care rules run: messages about the past are never sent.
 */
export async function runOrders(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, options: { shop: { type: 'string', short: 's' } }, allowPositionals: true, strict: true });
  const [sub, file] = positionals;
  if (sub !== 'import' || !file || !values.shop) {
    process.stderr.write('usage: xiaoer orders import FILE.jsonl --shop ID\n');
    return 1;
  }
  const env = readEnvOptions();
  const picked = pickShop(cliConfig(), values.shop, 'required');
  if ('error' in picked) {
    process.stderr.write(`${picked.error}\n`);
    return 1;
  }
  const lines = readFileSync(file, 'utf8').split('\n');
  const events: OrderEvent[] = [];
  let bad = 0;
  for (const [i, line] of lines.entries()) {
    if (!line.trim()) continue;
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch {
      process.stderr.write(`${file}:${i + 1}: not JSON\n`);
      bad += 1;
      continue;
    }
    const parsed = orderEventSchema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      process.stderr.write(`${file}:${i + 1}: ${issue.path.join('.') || 'event'}: ${issue.message}\n`);
      bad += 1;
      continue;
    }
    events.push(parsed.data);
  }
  if (bad) {
    process.stderr.write(`${bad} bad line(s): nothing imported\n`);
    return 1;
  }
  const shopId = values.shop;
  const handle = openDb(env.databaseUrl);
  const counts = { applied: 0, ignored: 0, duplicate: 0 };
  try {
    await migrateToLatest(handle.db);
    const now = Date.now();
    events.sort((a, b) => Date.parse(a.occurredAt) - Date.parse(b.occurredAt));
    await handle.db.transaction().execute(async (trx) => {
      for (const e of events) counts[(await applyOrderEvent(trx, shopId, e, now)).status] += 1;
    });
  } finally {
    await handle.close();
  }
  process.stdout.write(`imported ${counts.applied} events (${counts.ignored} out of order, ${counts.duplicate} already known); no messages sent\n`);
  return 0;
}
