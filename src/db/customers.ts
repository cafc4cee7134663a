import { sql } from 'kysely';
import type { Kysely, Selectable, Transaction } from 'kysely';
import { prepared } from './prepared.js';
import type { CustomersTable, Database } from './schema.js';

type Q = Kysely<Database> | Transaction<Database>;

export interface Customer {
  id: number;
  shopId: string;
  channel: string;
  platformUserId: string;
  name: string | null;
  tags: string[];
  tier: string | null;
  firstSeenAt: number;
  lastSeenAt: number;
  optedOutAt: number | null;
}

type Contact = { shopId: string; channel: string; platformUserId: string; name: string | null; at: number };

const upsertContact = prepared<Contact, Selectable<CustomersTable>>((q, a) => q
  .insertInto('customers')
  .values({
    shop_id: a('shopId'), channel: a('channel'), platform_user_id: a('platformUserId'), name: a('name'),
    tags: '[]', tier: null, first_seen_at: a('at'), last_seen_at: a('at'), opted_out_at: null,
  })
  .onConflict((oc) =>
    oc.columns(['shop_id', 'channel', 'platform_user_id']).doUpdateSet((eb) => ({
      last_seen_at: eb.ref('excluded.last_seen_at'),
      name: eb.fn.coalesce('excluded.name', 'customers.name'),
    })),
  )
  .returningAll());

const selectCustomer = prepared<{ shopId: string; channel: string; platformUserId: string }, Selectable<CustomersTable>>((q, a) => q
  .selectFrom('customers').selectAll()
  .where('shop_id', '=', a('shopId')).where('channel', '=', a('channel')).where('platform_user_id', '=', a('platformUserId')));

/** "Last seen" is kept to the minute: a customer typing several lines in a row costs one write, not one per line. */
export const LAST_SEEN_RESOLUTION_MS = 60_000;

const updateSeen = prepared<{ id: number; at: number; name: string | null }, never>((q, a) => q.updateTable('customers')
  .set((eb) => ({ last_seen_at: a('at'), name: eb.fn.coalesce(eb.val(a('name')), 'name') }))
  .where('id', '=', a('id')));

/** Records a contact: creates the customer on first sight, else refreshes last_seen (and name if newly known). */
export async function touchCustomer(q: Q, c: Contact): Promise<Customer> {
  const found = (await selectCustomer(q, c)).rows[0];
  // Not seen yet (or a racing writer just added them: the upsert settles it).
  if (!found) return toCustomer((await upsertContact(q, c)).rows[0]!);
  const customer = toCustomer(found);
  const renamed = c.name !== null && c.name !== customer.name;
  if (!renamed && c.at - customer.lastSeenAt < LAST_SEEN_RESOLUTION_MS) return customer;
  await updateSeen(q, { id: customer.id, at: c.at, name: c.name });
  return { ...customer, lastSeenAt: c.at, name: c.name ?? customer.name };
}

export async function findCustomer(q: Q, shopId: string, channel: string, platformUserId: string): Promise<Customer | undefined> {
  const row = (await selectCustomer(q, { shopId, channel, platformUserId })).rows[0];
  return row ? toCustomer(row) : undefined;
}

export function toCustomer(row: Selectable<CustomersTable>): Customer {
  return {
    id: Number(row.id), shopId: row.shop_id, channel: row.channel, platformUserId: row.platform_user_id,
    name: row.name, tags: JSON.parse(row.tags) as string[], tier: row.tier,
    firstSeenAt: Number(row.first_seen_at), lastSeenAt: Number(row.last_seen_at),
    optedOutAt: row.opted_out_at == null ? null : Number(row.opted_out_at),
  };
}

/** Longest tag or tier name: short labels staff read in rules (老客户, 黑名单, vip), not notes. */
export const CUSTOMER_LABEL_MAX = 50;

/** Adds and removes tags of one customer (read and written in the caller's transaction). */
export async function changeTags(q: Q, id: number, add: readonly string[], remove: readonly string[]): Promise<string[]> {
  const row = await q.selectFrom('customers').select('tags').where('id', '=', id).executeTakeFirstOrThrow();
  const tags = [...new Set([...(JSON.parse(row.tags) as string[]).filter((t) => !remove.includes(t)), ...add])];
  await updateTags(q, id, tags);
  return tags;
}

export async function updateTags(q: Q, id: number, tags: readonly string[]): Promise<void> {
  await q.updateTable('customers').set({ tags: JSON.stringify(tags) }).where('id', '=', id).execute();
}

/** The customer an order names, created if we have never chatted; unlike touchCustomer, not a "seen" event. */
export async function ensureCustomer(q: Q, c: { shopId: string; channel: string; platformUserId: string; name: string | null; at: number }): Promise<Customer> {
  await q.insertInto('customers').values({
    shop_id: c.shopId, channel: c.channel, platform_user_id: c.platformUserId, name: c.name,
    tags: '[]', tier: null, first_seen_at: c.at, last_seen_at: c.at, opted_out_at: null,
  }).onConflict((oc) => oc.columns(['shop_id', 'channel', 'platform_user_id']).doNothing()).execute();
  return (await findCustomer(q, c.shopId, c.channel, c.platformUserId))!;
}

/** Membership tier (domain.md §8), from the shop's member system via order events or `xiaoer customers tier`; null clears it. */
export async function setTier(q: Q, id: number, tier: string | null, at: number): Promise<void> {
  // A member since the first tier: an upgrade or downgrade keeps the date, losing the tier clears it.
  await q.updateTable('customers').set({ tier, member_since: tier === null ? null : sql<number>`coalesce(member_since, ${at})` }).where('id', '=', id).execute();
}

export async function setOptOut(q: Q, id: number, at: number | null): Promise<void> {
  await q.updateTable('customers').set({ opted_out_at: at }).where('id', '=', id).execute();
}

/** Of these customers of a channel, the ones whose name is not known yet. */
export async function namelessCustomers(q: Q, shopId: string, channel: string, userIds: readonly string[]): Promise<string[]> {
  if (userIds.length === 0) return [];
  const rows = await q.selectFrom('customers').select('platform_user_id')
    .where('shop_id', '=', shopId).where('channel', '=', channel).where('platform_user_id', 'in', [...userIds]).where('name', 'is', null).execute();
  return rows.map((r) => r.platform_user_id);
}

/** A name the platform told us, for a customer who had none yet (a name known before is kept). */
export async function nameCustomer(q: Q, shopId: string, channel: string, userId: string, name: string): Promise<void> {
  await q.updateTable('customers').set({ name })
    .where('shop_id', '=', shopId).where('channel', '=', channel).where('platform_user_id', '=', userId).where('name', 'is', null).execute();
}
