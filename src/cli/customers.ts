import { parseArgs } from 'node:util';
import type { Kysely } from 'kysely';
import { readEnvOptions } from '../config/env.js';
import { unknownShopError } from './shops.js';
import { audience } from '../db/audience.js';
import { changeTags, CUSTOMER_LABEL_MAX as MAX_LABEL, ensureCustomer, findCustomer, setTier } from '../db/customers.js';
import type { Customer } from '../db/customers.js';
import { exportCustomer } from '../db/export.js';
import { forgetCustomer } from '../db/forget.js';
import type { CustomerIdentity } from '../db/forget.js';
import { migrateToLatest, openDb } from '../db/index.js';
import { purchases } from '../db/purchases.js';
import type { Database } from '../db/schema.js';
import { CHANNEL_NAMES } from '../playbook/schema.js';

const USAGE = `usage: xiaoer customers list  --shop ID --tag TAG [--json]
       xiaoer customers show  --shop ID --channel CHANNEL --user USER_ID [--json]
       xiaoer customers tag   --shop ID --channel CHANNEL --user USER_ID TAG...
       xiaoer customers untag --shop ID --channel CHANNEL --user USER_ID TAG...
       xiaoer customers tier  --shop ID --channel CHANNEL --user USER_ID (TIER | --clear)
       xiaoer customers export --shop ID --channel CHANNEL --user USER_ID   (JSON on stdout)
       xiaoer customers forget --shop ID --channel CHANNEL --user USER_ID [--yes]
  (channel: ${CHANNEL_NAMES.join(', ')}; the user id is the one alerts and xiaoer report show)
`;
/**
 * Staff's hands on the customer record the rules read: tags (a 黑名单 that 催付 skips, 老客户)
 * and the membership tier (domain.md §7–8). Tagging a customer the bot has not met yet creates
 * the record, so a blacklist can be set up from the order system's ids before they write.
 */
export async function runCustomers(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args, allowPositionals: true, strict: true,
    options: {
      shop: { type: 'string', short: 's' }, channel: { type: 'string' }, user: { type: 'string' }, tag: { type: 'string' },
      clear: { type: 'boolean' }, json: { type: 'boolean' }, yes: { type: 'boolean' },
    },
  });
  const [sub, ...labels] = positionals;
  const problem = check(sub, values, labels);
  if (problem) {
    process.stderr.write(`${problem}\n${USAGE}`);
    return 1;
  }
  const who = { shopId: values.shop!, channel: values.channel!, platformUserId: values.user! };
  // export and forget reach data that may outlive the shop's place in the config.
  const unknownShop = sub === 'export' || sub === 'forget' ? null : unknownShopError(values.shop);
  if (unknownShop) {
    process.stderr.write(`${unknownShop}\n`);
    return 1;
  }
  const env = readEnvOptions();
  const handle = openDb(env.databaseUrl);
  try {
    await migrateToLatest(handle.db);
    if (sub === 'list') {
      const found = await audience(handle.db, who.shopId, { tag: values.tag! });
      if (values.json) process.stdout.write(`${JSON.stringify(found, null, 2)}\n`);
      else process.stdout.write(found.length ? found.map(describe).join('') : `no customer in shop ${who.shopId} is tagged ${values.tag}\n`);
      return 0;
    }
    if (sub === 'show') {
      const c = await findCustomer(handle.db, who.shopId, who.channel, who.platformUserId);
      if (!c) {
        process.stderr.write(`no customer ${who.channel}:${who.platformUserId} in shop ${who.shopId}\n`);
        return 1;
      }
      // The archive staff look at before answering (domain.md §9): what they bought and when.
      const bought = (await purchases(handle.db, who.shopId, { customer: { channel: who.channel, userId: who.platformUserId } })).sort((a, b) => b.boughtAt - a.boughtAt);
      const last = bought[0];
      const summary = { count: bought.length, last: last ? { order: last.orderId, at: new Date(last.boughtAt).toISOString(), items: last.items } : null };
      process.stdout.write(values.json ? `${JSON.stringify({ ...c, purchases: summary }, null, 2)}\n`
        : `${describe(c)}  purchases ${summary.count === 0 ? 'none' : `${summary.count} paid order${summary.count === 1 ? '' : 's'}, the last ${day(last!.boughtAt)} UTC: `
          + `${last!.items.map((i) => (i.qty > 1 ? `${i.title}×${i.qty}` : i.title)).join('、')} (order ${last!.orderId})`}\n`);
      return 0;
    }
    if (sub === 'forget') return await forget(handle.db, who, values.yes === true, values.json === true);
    if (sub === 'export') {
      process.stdout.write(`${JSON.stringify(await exportCustomer(handle.db, who, new Date()), null, 2)}\n`);
      return 0;
    }
    const c = await ensureCustomer(handle.db, { ...who, name: null, at: Date.now() });
    if (sub === 'tier') {
      const tier = values.clear ? null : labels[0]!;
      await setTier(handle.db, c.id, tier, Date.now());
      process.stdout.write(describe({ ...c, tier }));
      return 0;
    }
    const tags = await changeTags(handle.db, c.id, sub === 'tag' ? labels : [], sub === 'untag' ? labels : []);
    process.stdout.write(describe({ ...c, tags }));
    return 0;
  } finally {
    await handle.close();
  }
}

function check(sub: string | undefined, v: { shop?: string; channel?: string; user?: string; tag?: string; clear?: boolean }, labels: string[]): string | null {
  if (!['list', 'show', 'tag', 'untag', 'tier', 'export', 'forget'].includes(sub ?? '')) return sub ? `unknown subcommand "${sub}"` : 'which subcommand?';
  if (sub === 'list') return v.shop && v.tag ? null : '--shop and --tag are needed';
  if (!v.shop || !v.channel || !v.user) return '--shop, --channel and --user are all needed';
  if (!(CHANNEL_NAMES as readonly string[]).includes(v.channel)) return `--channel must be one of ${CHANNEL_NAMES.join(', ')} (got "${v.channel}")`;
  if ((sub === 'tag' || sub === 'untag') && labels.length === 0) return `name the tags to ${sub}`;
  if ((sub === 'forget' || sub === 'export') && labels.length > 0) return `${sub} takes no other arguments (got "${labels[0]}")`;
  if (sub === 'tier' && (v.clear ? labels.length > 0 : labels.length !== 1)) return 'give one tier, or --clear';
  const bad = labels.find((l) => l.trim() === '' || l.length > MAX_LABEL);
  return bad === undefined ? null : `"${bad}" is not a usable tag or tier (1–${MAX_LABEL} characters)`;
}

/**
 * A customer's request to delete their data: without --yes, says what would go (the same deletes,
 * rolled back) and changes nothing; with it, deletes for good.
 */
async function forget(db: Kysely<Database>, who: CustomerIdentity, yes: boolean, json: boolean): Promise<number> {
  const f = await forgetCustomer(db, who, { dryRun: !yes });
  const nothing = !f.customer && Object.values(f).every((v) => v === 0 || v === false);
  if (json) {
    process.stdout.write(`${JSON.stringify({ deleted: yes, ...f }, null, 2)}\n`);
    return 0;
  }
  const subject = `${who.channel}:${who.platformUserId} in shop ${who.shopId}`;
  if (nothing) {
    process.stdout.write(`nothing is stored about ${subject}\n`);
    return 0;
  }
  const parts = [
    f.customer ? 'the customer record (tags, tier, 退订)' : null,
    `${f.conversations} conversation(s)`, `${f.messages} message(s)`, `${f.replies} queued or sent repl(ies)`,
    `${f.followUps} follow-up(s)`, `${f.orders} order(s) with ${f.orderEvents} order event(s)`, `${f.alerts} staff alert(s)`, `${f.lessons} question(s) taught at the desk`,
  ].filter((p): p is string => p !== null).join(', ');
  process.stdout.write(yes
    ? `deleted everything about ${subject}: ${parts}.\nThe database holds nothing more about them; backups taken before still do, and the platform keeps its own copy of the chat.\n`
    : `would delete everything about ${subject}: ${parts}.\nNothing was changed. Run again with --yes to delete it for good.\n`);
  return 0;
}

const day = (ms: number) => new Date(ms).toISOString().slice(0, 16).replace('T', ' ');

function describe(c: Customer): string {
  return `${c.channel}:${c.platformUserId}${c.name ? `  ${c.name}` : ''}\n`
    + `  tier ${c.tier ?? '(none)'} · tags ${c.tags.length ? c.tags.join(', ') : '(none)'}\n`
    + `  first seen ${day(c.firstSeenAt)} UTC, last seen ${day(c.lastSeenAt)} UTC`
    + `${c.optedOutAt === null ? '' : ` · opted out of marketing (退订) ${day(c.optedOutAt)} UTC`}\n`;
}
