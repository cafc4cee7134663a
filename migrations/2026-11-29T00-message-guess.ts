import type { Kysely } from 'kysely';

// Frozen. What the bot made of a customer's message when no phrase matched and it answered by the
// message's likeness to an intent's examples (fallback.suggest.answerAbove): JSON
// {"intent": …, "score": …} on the inbound row, null otherwise. Staff check these guesses in the
// report and see them at the desk; a guess that was wrong is what to teach next.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('messages').addColumn('guess', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('messages').dropColumn('guess').execute();
}
