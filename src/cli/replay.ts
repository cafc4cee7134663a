import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { readEnvOptions } from '../config/env.js';
import { cliConfig, pickShop } from './shops.js';
import { migrateToLatest, openDb } from '../db/index.js';
import { recentCustomerTexts } from '../db/replay.js';
import { replay } from '../engine/replay.js';
import type { ChangeKind, ReplayResult } from '../engine/replay.js';
import { formatProblem } from '../errors.js';
import { loadPlaybooks } from '../playbook/load.js';

/** Days of customer messages replayed unless --days says otherwise. */
const DEFAULT_DAYS = 7;
/** Messages replayed at most unless --limit says otherwise: enough for a busy week, a few seconds to read. */
const DEFAULT_LIMIT = 20_000;
/** Examples printed per kind of change unless --all. */
const SHOWN_PER_KIND = 15;
const DAY_MS = 86_400_000;

const SECTIONS: { kind: ChangeKind; title: string }[] = [
  { kind: 'no longer understood', title: 'no longer understood (were answered, now the fallback) — check these first' },
  { kind: 'another answer', title: 'answered differently' },
  { kind: 'now understood', title: 'now understood (were the fallback)' },
];

/**
 * `xiaoer replay --shop ID --draft DIR`: the shop's real customer messages of the last days,
 * read again with a draft of the playbooks and with the playbooks running now, and every
 * message the draft would answer differently — before the draft replaces them.
 */
export async function runReplay(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args, strict: true,
    options: {
      shop: { type: 'string', short: 's' }, draft: { type: 'string' }, config: { type: 'string', short: 'c' },
      days: { type: 'string' }, limit: { type: 'string' }, all: { type: 'boolean' }, json: { type: 'boolean' },
    },
  });
  const usage = 'usage: xiaoer replay --shop ID --draft DIR [--days N] [--limit N] [--all] [--json]\n';
  if (!values.draft) {
    process.stderr.write(`replay: --draft: name the directory of the edited playbooks (e.g. a copy: cp -r playbooks playbooks-draft)\n${usage}`);
    return 1;
  }
  const days = values.days === undefined ? DEFAULT_DAYS : Number(values.days);
  const limit = values.limit === undefined ? DEFAULT_LIMIT : Number(values.limit);
  if (!Number.isInteger(days) || days < 1) return fail(`--days ${values.days}: a whole number of days, 1 or more`);
  if (!Number.isInteger(limit) || limit < 1) return fail(`--limit ${values.limit}: a whole number of messages, 1 or more`);
  const draftDir = resolve(values.draft);
  if (!existsSync(draftDir)) return fail(`--draft ${values.draft}: no such directory`);

  const env = readEnvOptions();
  const config = cliConfig(values.config);
  const picked = pickShop(config, values.shop, 'single');
  if ('error' in picked) return fail(picked.error);
  const { shop } = picked;
  const current = loadPlaybooks(shop.playbooksDir);
  const draft = loadPlaybooks(draftDir);
  if (!draft.playbook) {
    process.stderr.write(`replay: the draft does not load; nothing replayed:\n${draft.problems.map((p) => `  ${formatProblem(p)}`).join('\n')}\n`);
    return 1;
  }
  if (!current.playbook) {
    process.stderr.write(`replay: the shop's current playbooks (${shop.playbooksDir}) do not load:\n${current.problems.map((p) => `  ${formatProblem(p)}`).join('\n')}\n`);
    return 1;
  }

  const handle = openDb(env.databaseUrl);
  try {
    await migrateToLatest(handle.db);
    const now = Date.now();
    const messages = await recentCustomerTexts(handle.db, shop.id, now - days * DAY_MS, limit);
    const result = replay(shop, messages, current.playbook, draft.playbook);
    if (values.json) process.stdout.write(`${JSON.stringify({ shop: shop.id, days, draft: draftDir, current: shop.playbooksDir, ...result }, null, 2)}\n`);
    else print(result, { shop: shop.id, days, draft: draftDir, current: shop.playbooksDir, limited: messages.length >= limit, all: values.all === true });
    return 0;
  } finally {
    await handle.close();
  }
}

function print(r: ReplayResult, o: { shop: string; days: number; draft: string; current: string; limited: boolean; all: boolean }): void {
  const out = process.stdout;
  out.write(`replayed ${r.replayed} customer messages of shop ${o.shop} from the last ${o.days} days${o.limited ? ' (the newest only: --limit)' : ''}\n`);
  out.write(`  with the draft   ${o.draft}\n  against current  ${o.current}\n`);
  out.write('  (each read in the same context both times: its time of day, first message or not, the customer; no earlier answers, no order)\n\n');
  const changed = r.replayed - r.same;
  out.write(`answered the same: ${r.same}\nanswered differently: ${changed}\n`);
  for (const s of SECTIONS) {
    const rows = r.changes.filter((c) => c.kind === s.kind);
    if (!rows.length) continue;
    const total = rows.reduce((n, c) => n + c.count, 0);
    out.write(`\n${s.title}: ${total}\n`);
    for (const c of o.all ? rows : rows.slice(0, SHOWN_PER_KIND)) {
      out.write(`  ${`${c.count}×`.padStart(5)}  ${c.text}\n         ${c.before.label}  →  ${c.after.label}\n`);
    }
    if (!o.all && rows.length > SHOWN_PER_KIND) out.write(`  … ${rows.length - SHOWN_PER_KIND} more (--all lists them)\n`);
  }
  if (changed) out.write('\nWhy a message is read the way it is: npx xiaoer explain "<message>" --shop ' + `${o.shop}\n`);
  else out.write('\nThe draft answers every replayed message as the current playbooks do.\n');
}

function fail(message: string): number {
  process.stderr.write(`replay: ${message}\n`);
  return 1;
}
