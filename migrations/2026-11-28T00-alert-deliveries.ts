import type { Kysely } from 'kysely';

// Frozen. Alert delivery per robot, and retries spread out: with two staff robots, one that was
// over its rate or failing made the other receive the same alert again on every try; and a
// robot that was down for a few seconds used up every try (one a second) and the alert was lost.
export async function up(db: Kysely<unknown>): Promise<void> {
  // Comma-separated robot names ('wecom', 'feishu') that have the alert.
  await db.schema.alterTable('alerts').addColumn('delivered_to', 'text', (c) => c.notNull().defaultTo('')).execute();
  await db.schema.alterTable('alerts').addColumn('next_attempt_at', 'bigint', (c) => c.notNull().defaultTo(0)).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('alerts').dropColumn('next_attempt_at').execute();
  await db.schema.alterTable('alerts').dropColumn('delivered_to').execute();
}
