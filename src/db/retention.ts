import type { Kysely } from 'kysely';
import type { Database } from './schema.js';

/**
 * Rows looked at per delete transaction. SQLite has one writer and webhooks wait for it, so a
 * chunk must hold it briefly: 200 old messages and their replies took ~8 ms here on a 3M-message
 * database (each deleted row updates its indexes at random places).
 */
export const RETENTION_CHUNK = 200;

/** What one chunk removed, and whether older rows may remain behind it. */
export interface Pruned {
  deleted: number;
  /** Replies (outbox rows) removed with their messages. */
  replies?: number;
  more: boolean;
  /** Where the next chunk of this sweep starts (ids are handed out in time order). */
  after: number;
}

const n = (r: { numDeletedRows: bigint } | undefined) => Number(r?.numDeletedRows ?? 0n);

/**
 * Walks a table from its oldest id: ids grow with time, so the first row younger than the
 * cutoff ends the walk and a sweep with nothing to do reads one page — no created_at index on
 * the webhook path's hottest table. Rows kept for a reason (a reply still queued, an alert not
 * yet delivered) are stepped over and looked at again next sweep.
 */
function page<T extends { id: number; created_at: number }>(rows: T[], cutoff: number) {
  const old = rows.filter((r) => Number(r.created_at) < cutoff);
  const more = rows.length === RETENTION_CHUNK && old.length === rows.length;
  return { old, more, after: rows.length ? Number(rows.at(-1)!.id) : 0 };
}

/** Messages older than the cutoff with their raw payloads, and their replies once those are done (sent, dead, skipped). */
export async function pruneMessages(db: Kysely<Database>, cutoff: number, after: number): Promise<Pruned> {
  return db.transaction().execute(async (trx) => {
    const rows = await trx.selectFrom('messages').select(['id', 'created_at']).where('id', '>', after).orderBy('id').limit(RETENTION_CHUNK).execute();
    const p = page(rows, cutoff);
    if (!p.old.length) return { deleted: 0, replies: 0, more: p.more, after: p.after };
    const ids = p.old.map((r) => Number(r.id));
    // The state is checked here, not in SQL: with both conditions SQLite's planner (no table
    // statistics) picks the state index for a short IN list and reads every sent row — 0.4 s
    // a chunk on 1.5M rows, against 9 ms by message id.
    const outbox = await trx.selectFrom('outbox').select(['id', 'state']).where('message_id', 'in', ids).execute();
    const done = outbox.filter((o) => o.state === 'sent' || o.state === 'dead' || o.state === 'skipped').map((o) => Number(o.id));
    const replies = done.length ? n(await trx.deleteFrom('outbox').where('id', 'in', done).executeTakeFirst()) : 0;
    const deleted = n(await trx.deleteFrom('messages').where('id', 'in', ids)
      .where(({ not, exists, selectFrom }) => not(exists(selectFrom('outbox').select('outbox.id').whereRef('outbox.message_id', '=', 'messages.id'))))
      .executeTakeFirst());
    // What staff taught on a message (its words copied) goes with it.
    if (deleted) {
      await trx.deleteFrom('lessons').where('message_id', 'in', ids)
        .where(({ not, exists, selectFrom }) => not(exists(selectFrom('messages').select('messages.id').whereRef('messages.id', '=', 'lessons.message_id'))))
        .execute();
    }
    return { deleted, replies, more: p.more, after: p.after };
  });
}

/** Staff alerts (their transcripts quote the chat) older than the cutoff, once delivered or given up on. */
export async function pruneAlerts(db: Kysely<Database>, cutoff: number, after: number): Promise<Pruned> {
  const rows = await db.selectFrom('alerts').select(['id', 'created_at']).where('id', '>', after).orderBy('id').limit(RETENTION_CHUNK).execute();
  const p = page(rows, cutoff);
  if (!p.old.length) return { deleted: 0, more: p.more, after: p.after };
  const deleted = n(await db.deleteFrom('alerts').where('id', 'in', p.old.map((r) => Number(r.id))).where('state', '!=', 'pending').executeTakeFirst());
  return { deleted, more: p.more, after: p.after };
}

/** Follow-ups that ended (done, cancelled, skipped) before the cutoff; pending ones are kept however old. */
export async function pruneFollowUps(db: Kysely<Database>, cutoff: number, after: number): Promise<Pruned> {
  const rows = await db.selectFrom('jobs').select(['id', 'created_at', 'state', 'updated_at'])
    .where('id', '>', after).orderBy('id').limit(RETENTION_CHUNK).execute();
  const p = page(rows, cutoff);
  // Checked here rather than in the delete, for the planner's sake (see pruneMessages); an ended
  // follow-up never starts again, so the state read is still true when the delete runs.
  const ended = p.old.filter((j) => (j.state === 'done' || j.state === 'cancelled' || j.state === 'skipped') && Number(j.updated_at) < cutoff);
  if (!ended.length) return { deleted: 0, more: p.more, after: p.after };
  const deleted = n(await db.deleteFrom('jobs').where('id', 'in', ended.map((j) => Number(j.id))).executeTakeFirst());
  return { deleted, more: p.more, after: p.after };
}
