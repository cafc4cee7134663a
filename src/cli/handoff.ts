import { parseArgs } from 'node:util';
import { readEnvOptions } from '../config/env.js';
import { unknownShopError } from './shops.js';
import { listHandedOff } from '../db/conversations.js';
import { unanswered } from '../db/waiting.js';
import { migrateToLatest, openDb } from '../db/index.js';
import { releaseToBot } from '../engine/staff.js';

/** Who gave a conversation back, in the transcript, when `--staff` does not say. */
const CLI_STAFF = '命令行';

/**
 * `xiaoer handoff list [--shop ID]` and `xiaoer handoff release --shop ID <conversation> [--staff NAME]`: staff give the
 * conversation back to the bot (on 微信客服 also ending a session a 接待人员 holds: the running service sends that).
 */
export async function runHandoff(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, options: { shop: { type: 'string', short: 's' }, staff: { type: 'string' } }, allowPositionals: true, strict: true });
  const [sub, key] = positionals;
  const unknownShop = unknownShopError(values.shop);
  if (unknownShop) {
    process.stderr.write(`${unknownShop}\n`);
    return 1;
  }
  const env = readEnvOptions();
  const handle = openDb(env.databaseUrl);
  try {
    await migrateToLatest(handle.db);
    if (sub === 'list') {
      const now = Date.now();
      const rows = await listHandedOff(handle.db, now, values.shop);
      if (rows.length === 0) process.stdout.write('no conversation is with a person right now\n');
      const waits = await unanswered(handle.db, rows.map((r) => r.id));
      for (const r of rows) {
        const since = r.handedOffAt ? new Date(r.handedOffAt).toISOString() : '?';
        const who = r.staff ? `with ${r.staff}` : 'nobody at the desk has it yet';
        const wait = waits.get(r.id);
        const waiting = wait ? `customer waiting ${Math.floor((now - wait.since) / 60_000)} min for an answer` : 'nothing unanswered';
        process.stdout.write(`${r.shopId}\t${r.key}\tsince ${since}\tbot silent until ${new Date(r.handoffUntil).toISOString()}\t${who}\t${waiting}\n`);
      }
      return 0;
    }
    if (sub === 'release' && key && values.shop) {
      const shop = values.shop;
      const released = await handle.db.transaction().execute((trx) => releaseToBot(trx, shop, key, values.staff ?? CLI_STAFF, Date.now()));
      if (!released) {
        process.stderr.write(`no conversation "${key}" in shop ${shop} (see xiaoer handoff list)\n`);
        return 1;
      }
      process.stdout.write(`released: the bot answers ${key} again${released.endsKfSession ? '; a 接待人员\'s 微信客服 session, if any, is ended by the running service' : ''}\n`);
      return 0;
    }
    process.stderr.write('usage: xiaoer handoff list [--shop ID] | xiaoer handoff release --shop ID <conversation> [--staff NAME]\n');
    return 1;
  } finally {
    await handle.close();
  }
}
