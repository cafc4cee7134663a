import type { Kysely, Transaction } from 'kysely';
import type { Database } from './schema.js';

type Q = Kysely<Database> | Transaction<Database>;

export async function getCursor(q: Q, shopId: string, channel: string, account: string): Promise<string | null> {
  const row = await q.selectFrom('platform_cursors').select('cursor')
    .where('shop_id', '=', shopId).where('channel', '=', channel).where('account', '=', account).executeTakeFirst();
  return row?.cursor ?? null;
}

export async function saveCursor(q: Q, shopId: string, channel: string, account: string, cursor: string, at: number): Promise<void> {
  await q.insertInto('platform_cursors').values({ shop_id: shopId, channel, account, cursor, updated_at: at })
    .onConflict((oc) => oc.columns(['shop_id', 'channel', 'account']).doUpdateSet({ cursor, updated_at: at }))
    .execute();
}
