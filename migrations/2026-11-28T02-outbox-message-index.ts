import type { Kysely } from 'kysely';

// Frozen. The staff desk shows whether each reply reached the customer, and a web chat on the
// local channel collects the messages sent to it later (staff replies, follow-ups): both find a
// message's outbox row by message id. Ids only grow, so each insert lands on the index's right
// edge (one page per commit, not one per row).
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.createIndex('outbox_message_idx').on('outbox').columns(['message_id']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('outbox_message_idx').execute();
}
