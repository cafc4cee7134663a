import type { Kysely } from 'kysely';

// Frozen. 微信客服 sync_msg cursors (one per account), and the conversation of each outbox row
// so platform reply limits (48 h, 5 replies per customer message) can be counted per conversation.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('platform_cursors')
    .addColumn('shop_id', 'text', (c) => c.notNull())
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('account', 'text', (c) => c.notNull())
    .addColumn('cursor', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('platform_cursors_pk', ['shop_id', 'channel', 'account'])
    .execute();
  await db.schema.alterTable('outbox').addColumn('conversation_key', 'text').execute();
  await db.schema.createIndex('outbox_conversation_idx').on('outbox').columns(['shop_id', 'conversation_key', 'state']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('outbox_conversation_idx').execute();
  await db.schema.alterTable('outbox').dropColumn('conversation_key').execute();
  await db.schema.dropTable('platform_cursors').execute();
}
