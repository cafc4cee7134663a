import type { Kysely } from 'kysely';

// Frozen. Before a payment reminder: did this customer pay another order since this one was
// placed (duplicate orders, domain.md §4)? Orders by customer and events by order, without a scan.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.createIndex('orders_customer_idx').on('orders').columns(['shop_id', 'customer_channel', 'customer_user_id']).execute();
  await db.schema.createIndex('order_events_order_idx').on('order_events').columns(['shop_id', 'order_id']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('order_events_order_idx').execute();
  await db.schema.dropIndex('orders_customer_idx').execute();
}
