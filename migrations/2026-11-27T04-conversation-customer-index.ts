import type { Kysely } from 'kysely';

// Frozen. Proactive messages look up a customer's latest conversation; without this index each
// lookup scanned every conversation of the shop (found by bench/jobs.ts).
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.createIndex('conversations_customer_idx').on('conversations').columns(['shop_id', 'customer_id', 'updated_at']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('conversations_customer_idx').execute();
}
