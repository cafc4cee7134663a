import type { Kysely, Transaction } from 'kysely';
import type { Database, LessonAs, LessonOutcome } from './schema.js';

type Q = Kysely<Database> | Transaction<Database>;

/** A question staff teach at the desk: the customer's message, the words taught and the intent they meant. */
export interface NewLesson {
  shopId: string;
  messageId: number;
  text: string;
  intent: string;
  as: LessonAs;
  staff: string;
  at: number;
}

/** A lesson as stored: waiting for the playbooks, or put into them (or refused) when settled. */
export interface Lesson extends NewLesson {
  id: number;
  settled: { at: number; outcome: LessonOutcome; detail: string | null } | null;
}

type Row = Awaited<ReturnType<ReturnType<typeof selectLessons>['execute']>>[number];
const selectLessons = (q: Q) => q.selectFrom('lessons')
  .select(['id', 'shop_id', 'message_id', 'text', 'intent', 'teach_as', 'staff', 'created_at', 'settled_at', 'outcome', 'detail']);

function toLesson(r: Row): Lesson {
  return {
    id: Number(r.id), shopId: r.shop_id, messageId: Number(r.message_id), text: r.text, intent: r.intent, as: r.teach_as,
    staff: r.staff, at: Number(r.created_at),
    settled: r.settled_at == null ? null : { at: Number(r.settled_at), outcome: r.outcome ?? 'refused', detail: r.detail },
  };
}

/**
 * Records a lesson on a customer's message, replacing one that still waits on the same message
 * (staff changed their mind: the latest word counts). One put into the playbooks stays as it was.
 */
export async function recordLesson(q: Q, l: NewLesson): Promise<Lesson> {
  const fresh = { text: l.text, intent: l.intent, teach_as: l.as, staff: l.staff, created_at: l.at };
  // One statement against the partial unique index: two members of staff teaching the same
  // message at once (two instances on PostgreSQL) end with one lesson, the later, never an error.
  const row = await q.insertInto('lessons').values({ shop_id: l.shopId, message_id: l.messageId, ...fresh, settled_at: null, outcome: null, detail: null })
    .onConflict((oc) => oc.column('message_id').where('settled_at', 'is', null).doUpdateSet(fresh))
    .returning('id').executeTakeFirstOrThrow();
  return { ...l, id: Number(row.id), settled: null };
}

/** The intent of a dismissal: the message asks nothing the bot should learn (chit-chat, 哈哈, a typo). */
export const NOT_A_QUESTION = '(none)';

/**
 * Staff say a customer's message asks nothing to teach (哈哈, 嗯嗯, chit-chat): it leaves the
 * desk's 待核对 list. Settled at once — there is nothing for the playbooks — and replacing a
 * lesson still waiting on the message.
 */
export async function dismissMessage(q: Q, d: { shopId: string; messageId: number; staff: string; at: number }): Promise<Lesson> {
  await q.deleteFrom('lessons').where('message_id', '=', d.messageId).where('settled_at', 'is', null).execute();
  const row = await q.insertInto('lessons').values({
    shop_id: d.shopId, message_id: d.messageId, text: '', intent: NOT_A_QUESTION, teach_as: 'example', staff: d.staff, created_at: d.at,
    settled_at: d.at, outcome: 'dismissed', detail: null,
  }).returning('id').executeTakeFirstOrThrow();
  return {
    id: Number(row.id), shopId: d.shopId, messageId: d.messageId, text: '', intent: NOT_A_QUESTION, as: 'example', staff: d.staff, at: d.at,
    settled: { at: d.at, outcome: 'dismissed', detail: null },
  };
}

/**
 * Takes back what staff said about a message while it is theirs to take back: a lesson still
 * waiting, or a dismissal. False when there is none (never taught, or already in the playbooks).
 */
export async function withdrawLesson(q: Q, shopId: string, messageId: number): Promise<boolean> {
  const res = await q.deleteFrom('lessons').where('shop_id', '=', shopId).where('message_id', '=', messageId)
    .where((eb) => eb.or([eb('settled_at', 'is', null), eb('outcome', '=', 'dismissed')])).executeTakeFirst();
  return Number(res.numDeletedRows) > 0;
}

/** The latest lesson on each of these messages (the desk shows it under the message). */
export async function lessonsOn(q: Q, messageIds: readonly number[]): Promise<Map<number, Lesson>> {
  if (messageIds.length === 0) return new Map();
  const rows = await selectLessons(q).where('message_id', 'in', [...messageIds]).orderBy('id').execute();
  return new Map(rows.map((r) => [Number(r.message_id), toLesson(r)]));
}

/**
 * The latest lesson on each of these messages of the shop (the report and the desk's 待核对 mark
 * what staff already taught). Read from the oldest of them on — a week's messages would be too
 * many for an IN list; the few lessons on other messages in that range are read and ignored.
 */
export async function lessonsOnMessages(q: Q, shopId: string, messageIds: readonly number[]): Promise<Map<number, Lesson>> {
  if (messageIds.length === 0) return new Map();
  const from = messageIds.reduce((min, id) => Math.min(min, id), Infinity);
  const rows = await selectLessons(q).where('shop_id', '=', shopId).where('message_id', '>=', from).orderBy('id').execute();
  return new Map(rows.map((r) => [Number(r.message_id), toLesson(r)]));
}

/** Lessons still waiting for the playbooks, oldest first: the order staff taught them in. */
export async function waitingLessons(q: Q, shopId: string): Promise<Lesson[]> {
  const rows = await selectLessons(q).where('shop_id', '=', shopId).where('settled_at', 'is', null).orderBy('id').execute();
  return rows.map(toLesson);
}

/** Marks a lesson put into the playbooks (or refused). Only a waiting one: a second `teach --from-desk` running at once does not settle it twice. */
export async function settleLesson(q: Q, id: number, outcome: LessonOutcome, detail: string | null, at: number): Promise<boolean> {
  const res = await q.updateTable('lessons').set({ settled_at: at, outcome, detail })
    .where('id', '=', id).where('settled_at', 'is', null).executeTakeFirst();
  return Number(res.numUpdatedRows) > 0;
}

/** For the report: lessons waiting for `teach --from-desk` now, and those it put in (or refused) in [from, to). */
export async function lessonCounts(q: Q, shopId: string, from: number, to: number): Promise<{ waiting: number; added: number; refused: number }> {
  const rows = await q.selectFrom('lessons').select(['settled_at', 'outcome']).where('shop_id', '=', shopId)
    .where((eb) => eb.or([eb('settled_at', 'is', null), eb.and([eb('settled_at', '>=', from), eb('settled_at', '<', to)])])).execute();
  const count = (outcome: LessonOutcome) => rows.filter((r) => r.settled_at != null && r.outcome === outcome).length;
  return { waiting: rows.filter((r) => r.settled_at == null).length, added: count('added') + count('already'), refused: count('refused') };
}
