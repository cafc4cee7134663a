import { parseArgs } from 'node:util';
import { readEnvOptions } from '../config/env.js';
import { listHandedOff, releaseHandoff } from '../db/conversations.js';
import { migrateToLatest, openDb } from '../db/index.js';

/** `xiaoer handoff list [--shop ID]` and `xiaoer handoff release --shop ID <conversation>`: staff give the conversation back to the bot. */
export async function runHandoff(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, options: { shop: { type: 'string', short: 's' } }, allowPositionals: true, strict: true });
  const [sub, key] = positionals;
  const env = readEnvOptions();
  const handle = openDb(env.databaseUrl);
  try {
    await migrateToLatest(handle.db);
    if (sub === 'list') {
      const rows = await listHandedOff(handle.db, Date.now(), values.shop);
      if (rows.length === 0) process.stdout.write('no conversation is with a person right now\n');
      for (const r of rows) {
        const since = r.handedOffAt ? new Date(r.handedOffAt).toISOString() : '?';
        const who = r.staff ? `with ${r.staff}` : 'nobody at the desk has it yet';
        process.stdout.write(`${r.shopId}\t${r.key}\tsince ${since}\tbot silent until ${new Date(r.handoffUntil).toISOString()}\t${who}\n`);
      }
      return 0;
    }
    if (sub === 'release' && key && values.shop) {
      if (!(await releaseHandoff(handle.db, values.shop, key, Date.now()))) {
        process.stderr.write(`no conversation "${key}" in shop ${values.shop} (see xiaoer handoff list)\n`);
        return 1;
      }
      process.stdout.write(`released: the bot answers ${key} again\n`);
      return 0;
    }
    process.stderr.write('usage: xiaoer handoff list [--shop ID] | xiaoer handoff release --shop ID <conversation>\n');
    return 1;
  } finally {
    await handle.close();
  }
}
