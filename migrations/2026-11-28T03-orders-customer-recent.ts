import type { Kysely } from 'kysely';

// Frozen. Every customer message now reads the customer's latest order (查物流 from the order):
// with updated_at in the index, "latest first, limit 1" walks the index instead of sorting in
// a temporary b-tree, which cost SQLite ~25 µs a message even with no orders at all. It also
// serves the paid-another-order check the index it replaces was made for.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.createIndex('orders_customer_recent_idx').on('orders')
    .columns(['shop_id', 'customer_channel', 'customer_user_id', 'updated_at']).execute();
  await db.schema.dropIndex('orders_customer_idx').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.createIndex('orders_customer_idx').on('orders').columns(['shop_id', 'customer_channel', 'customer_user_id']).execute();
  await db.schema.dropIndex('orders_customer_recent_idx').execute();
}
