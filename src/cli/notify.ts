import { parseArgs } from 'node:util';
import { readEnvOptions } from '../config/env.js';
import { loadConfig, resolveConfigPath } from '../config/load.js';
import { customersWithTag } from '../db/customers.js';
import { migrateToLatest, openDb } from '../db/index.js';
import { insertJob } from '../db/jobs.js';
import { formatProblem } from '../errors.js';
import { localTime } from '../engine/time.js';
import { loadPlaybooks } from '../playbook/load.js';

/**
 * `xiaoer notify --shop ID --rule 到货通知 --tag 到货通知`: staff say "it is back in stock" (or any
 * announcement); every customer with the tag gets the rule as a follow-up, through the same
 * quiet hours, caps and opt-outs as all proactive messages. Run once a day at most per rule.
 */
export async function runNotify(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { shop: { type: 'string', short: 's' }, rule: { type: 'string' }, tag: { type: 'string' } }, strict: true });
  if (!values.shop || !values.rule || !values.tag) {
    process.stderr.write('usage: xiaoer notify --shop ID --rule RULE --tag TAG   (e.g. --rule 到货通知 --tag 到货通知)\n');
    return 1;
  }
  const env = readEnvOptions();
  const config = loadConfig(resolveConfigPath(env.configPath).path);
  const shop = config.shops.find((s) => s.id === values.shop);
  if (!shop) {
    process.stderr.write(`no shop "${values.shop}" in the config\n`);
    return 1;
  }
  const { playbook, problems } = loadPlaybooks(shop.playbooksDir);
  if (!playbook) {
    for (const p of problems) process.stderr.write(`${formatProblem(p)}\n`);
    return 1;
  }
  const rule = playbook.rules.find((r) => r.name === values.rule);
  if (!rule || rule.event !== 'schedule') {
    process.stderr.write(`rule "${values.rule}" is not a follow-up rule (when: { event: schedule }) in ${shop.id}'s playbooks\n`);
    return 1;
  }
  if (!rule.enabled) {
    process.stderr.write(`rule "${rule.name}" is switched off: set enabled: true in ${rule.file}:${rule.line} first\n`);
    return 1;
  }
  const handle = openDb(env.databaseUrl);
  try {
    await migrateToLatest(handle.db);
    const now = Date.now();
    const day = localTime(now, shop.timezone).day;
    const customers = await customersWithTag(handle.db, shop.id, values.tag);
    for (const c of customers) {
      await insertJob(handle.db, {
        shopId: shop.id, kind: 'rule', rule: rule.name, category: rule.category, customerChannel: c.channel, customerUserId: c.platformUserId,
        orderId: null, dueAt: now, notAfter: rule.staleAfterMs === undefined ? null : now + rule.staleAfterMs,
        dedupKey: `notify:${shop.id}:${rule.name}:${c.channel}:${c.platformUserId}:${day}`,
      }, now);
    }
    process.stdout.write(`${customers.length} customer(s) tagged ${values.tag}: "${rule.name}" queued (sent by the running service, within quiet hours and caps)\n`);
    return 0;
  } finally {
    await handle.close();
  }
}
