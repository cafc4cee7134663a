import { parseArgs } from 'node:util';
import { readEnvOptions } from '../config/env.js';
import { unknownShopError } from './shops.js';
import { listAlerts, retryFailedAlerts } from '../db/alerts.js';
import type { Alert } from '../db/alerts.js';
import { migrateToLatest, openDb } from '../db/index.js';
import { runAlertsTest } from './alerts-test.js';

const USAGE = 'usage: xiaoer alerts list [--shop ID] [--state pending|sent|failed] [--limit N] [--json]\n'
  + '       xiaoer alerts retry --shop ID [ALERT_ID ...]\n'
  + '       xiaoer alerts test --shop ID      (a test message to each of the shop\'s robots)\n';
const STATES = ['pending', 'sent', 'failed'] as const;
/** Alerts listed when --limit is not given. */
const DEFAULT_LIMIT = 50;
/** Characters of an alert's text shown on its line. */
const TEXT_PREVIEW = 80;

/**
 * `xiaoer alerts list`: the staff alerts (转人工, 差评, undelivered replies) and whether each robot
 * got them. `xiaoer alerts retry`: after a robot was down past its tries, or its key was wrong,
 * failed alerts go out again — only to the robots that do not have them yet.
 */
export async function runAlerts(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args, allowPositionals: true, strict: true,
    options: { shop: { type: 'string', short: 's' }, state: { type: 'string' }, limit: { type: 'string' }, json: { type: 'boolean' } },
  });
  const [sub, ...rest] = positionals;
  const state = values.state as (typeof STATES)[number] | undefined;
  if (state !== undefined && !STATES.includes(state)) {
    process.stderr.write(`--state must be one of ${STATES.join(', ')} (got "${values.state}")\n`);
    return 1;
  }
  const limit = values.limit === undefined ? DEFAULT_LIMIT : Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1) {
    process.stderr.write(`--limit must be a positive whole number (got "${values.limit}")\n`);
    return 1;
  }
  if (sub === 'test') {
    if (!values.shop || rest.length) {
      process.stderr.write(USAGE);
      return 1;
    }
    return runAlertsTest(values.shop);
  }
  const ids = rest.map(Number);
  if (sub === 'retry' && (!values.shop || ids.some((n) => !Number.isInteger(n) || n < 1))) {
    process.stderr.write(values.shop ? `alert ids are numbers, as xiaoer alerts list shows them (got ${rest.join(' ')})\n` : USAGE);
    return 1;
  }
  if (sub !== 'list' && sub !== 'retry') {
    process.stderr.write(USAGE);
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
    if (sub === 'retry') {
      const n = await retryFailedAlerts(handle.db, values.shop!, ids.length ? ids : undefined);
      process.stdout.write(n === 0
        ? `no failed alerts to retry in shop ${values.shop}${ids.length ? ` with id ${ids.join(', ')}` : ''} (see xiaoer alerts list --state failed)\n`
        : `${n} alert${n === 1 ? '' : 's'} queued again; the running service sends ${n === 1 ? 'it' : 'them'} to the robots that do not have ${n === 1 ? 'it' : 'them'} yet\n`);
      return 0;
    }
    const alerts = await listAlerts(handle.db, values.shop, limit, state);
    if (values.json) {
      process.stdout.write(`${JSON.stringify(alerts.map(toJson), null, 2)}\n`);
      return 0;
    }
    if (alerts.length === 0) process.stdout.write(`no ${state ?? ''}${state ? ' ' : ''}alerts\n`);
    for (const a of alerts) process.stdout.write(`${line(a)}\n`);
    return 0;
  } finally {
    await handle.close();
  }
}

function toJson(a: Alert) {
  return {
    id: a.id, shop: a.shopId, at: new Date(a.at).toISOString(), kind: a.kind, state: a.state, tries: a.attempts,
    deliveredTo: a.deliveredTo, lastError: a.lastError, conversation: a.conversationKey, text: a.text,
  };
}

function line(a: Alert): string {
  const text = a.text.length > TEXT_PREVIEW ? `${a.text.slice(0, TEXT_PREVIEW)}…` : a.text;
  const robots = a.deliveredTo.length ? a.deliveredTo.join(',') : 'none';
  const error = a.state !== 'sent' && a.lastError ? `  last error: ${a.lastError}` : '';
  return `#${a.id}  ${new Date(a.at).toISOString()}  ${a.shopId}  ${a.kind}  ${a.state}  tries ${a.attempts}  robots ${robots}${error}\n    ${text}`;
}
