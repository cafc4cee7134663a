import { sql } from 'kysely';
import type { Kysely } from 'kysely';

// Frozen. When a customer became a member (got a tier from the shop's member system; kept through
// upgrades and downgrades, cleared when the tier is taken away): the report's new members and
// lapsed members (domain.md §8). Members from before this column count from when first seen.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('customers').addColumn('member_since', 'bigint').execute();
  await sql`update customers set member_since = first_seen_at where tier is not null`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('customers').dropColumn('member_since').execute();
}
