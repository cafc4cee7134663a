import type Router from '@koa/router';
import type { Context } from 'koa';
import type { ShopConfig } from '../config/schema.js';
import { customerMessage } from '../db/desk.js';
import type { Unit } from '../db/batch.js';
import type { DeskMessage } from '../db/desk.js';
import type { Db } from '../db/index.js';
import { dismissMessage, lessonsOn, NOT_A_QUESTION, recordLesson, withdrawLesson } from '../db/lessons.js';
import type { Lesson } from '../db/lessons.js';
import type { MessageGuess } from '../db/messages.js';
import type { LessonAs, LessonOutcome } from '../db/schema.js';
import { lessonAs, lessonTextProblem, missRules, teachableQuestions } from '../engine/lessons.js';
import { askFor, withGuess } from '../engine/suggest.js';
import { understand } from '../engine/understand.js';
import { RequestError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import type { CompiledPlaybook } from '../playbook/compiled.js';
import type { PlaybookStore } from '../playbook/store.js';
import { toTeach } from '../report/to-teach.js';
import { readJsonBody } from './raw-body.js';

/** What the desk shows under a message staff taught: the question, how it goes in, and whether it is in the playbooks yet. */
export interface DeskLesson {
  intent: string;
  label: string;
  text: string;
  as: LessonAs;
  staff: string;
  at: number;
  /** waiting: for `xiaoer teach --from-desk`; else what that made of it. */
  state: 'waiting' | LessonOutcome;
  detail: string | null;
  /**
   * In the playbooks (added, already): whether the bot now reads the words as that intent. False
   * when a phrase of another intent still wins — the owner sorts it out with xiaoer explain.
   */
  inEffect?: boolean;
}

export type DeskRoute = (handler: (ctx: Context, shop: ShopConfig, staff: string) => Promise<void>) => (ctx: Context) => Promise<void>;

export interface LessonDeps {
  db: Db;
  playbooks: PlaybookStore;
  log: Logger;
  metrics: Metrics;
  now: () => number;
  /** Runs a write in the customer's lane of the write batcher (see desk.ts). */
  inLane<T>(shop: ShopConfig, conversationId: number, write: Unit<T>): Promise<T>;
}

/**
 * Teaching the bot at the desk (教机器人): staff say what a customer's message meant — confirm
 * the bot's guess, correct it, or name the question it did not understand. The lesson is stored;
 * `xiaoer teach --from-desk`, run where the playbook files live, puts it in them (checked to
 * load, as `xiaoer teach` does). Nothing a customer sees changes until then.
 */
export function mountDeskLessons(router: Router, route: DeskRoute, deps: LessonDeps): void {
  router.get('/desk/:shop/api/questions', route(async (ctx, shop) => {
    ctx.body = { questions: teachableQuestions(deps.playbooks.get(shop.id)) };
  }));
  // 待核对: the week's guessed and not-understood questions nobody taught yet, the latest first.
  router.get('/desk/:shop/api/to-teach', route(async (ctx, shop) => {
    const playbook = deps.playbooks.get(shop.id);
    const { questions, total } = await toTeach(deps.db, shop.id, deps.now(), missRules(playbook));
    ctx.body = { total, questions: questions.map((q) => ({ ...q, guess: withAsk(playbook, q.guess) })) };
  }));
  router.post('/desk/:shop/api/messages/:id/lesson', route(async (ctx, shop, staff) => {
    const body = await readJsonBody(ctx, '{"intent":"faq.shipping_time","text":"么时候发货呀"}');
    const message = await messageOf(ctx, shop);
    const playbook = deps.playbooks.get(shop.id);
    const field = (name: string) => (typeof body === 'object' && body !== null ? (body as Record<string, unknown>)[name] : undefined);
    const intent = field('intent');
    if (typeof intent !== 'string' || !playbook.intents.some((i) => i.name === intent)) {
      throw new RequestError(400, `intent: one of the shop's intents (GET /desk/${shop.id}/api/questions lists them), not ${JSON.stringify(intent ?? null)}`);
    }
    const given = field('text');
    const text = (typeof given === 'string' ? given : message.text ?? '').trim();
    const problem = lessonTextProblem(text);
    if (problem) throw new RequestError(400, `text: ${problem}`);
    const as = lessonAs(playbook, intent, message.guess?.intent === intent, understand(text, playbook).intent !== null);
    const lesson = await deps.inLane(shop, message.conversationId, (trx) => recordLesson(trx, {
      shopId: shop.id, messageId: message.id, text, intent, as, staff, at: deps.now(),
    }));
    deps.log.info({ shop: shop.id, message: message.id, intent, as, staff }, 'staff taught the bot a question');
    deps.metrics.desk.inc({ shop: shop.id, action: 'teach' });
    ctx.status = 201;
    ctx.body = { lesson: deskLesson(lesson, playbook) };
  }));
  // 不用教: the message asks nothing to teach (哈哈, chit-chat); it leaves 待核对.
  router.post('/desk/:shop/api/messages/:id/dismiss', route(async (ctx, shop, staff) => {
    const message = await messageOf(ctx, shop);
    const lesson = await deps.inLane(shop, message.conversationId, (trx) => dismissMessage(trx, { shopId: shop.id, messageId: message.id, staff, at: deps.now() }));
    deps.log.info({ shop: shop.id, message: message.id, staff }, 'staff marked a message as nothing to teach');
    ctx.status = 201;
    ctx.body = { lesson: deskLesson(lesson, deps.playbooks.get(shop.id)) };
  }));
  router.delete('/desk/:shop/api/messages/:id/lesson', route(async (ctx, shop, staff) => {
    const message = await messageOf(ctx, shop);
    const withdrawn = await deps.inLane(shop, message.conversationId, (trx) => withdrawLesson(trx, shop.id, message.id));
    if (!withdrawn) throw new RequestError(404, `nothing taught on message ${message.id} can be taken back (never taught, or already in the playbooks)`);
    deps.log.info({ shop: shop.id, message: message.id, staff }, 'staff took back a lesson');
    ctx.body = { withdrawn: true };
  }));

  /** A customer's text message of this shop: lessons are words, so a picture or an event has none. */
  async function messageOf(ctx: Context, shop: ShopConfig) {
    const id = Number(ctx.params.id);
    const m = Number.isSafeInteger(id) && id > 0 ? await customerMessage(deps.db, shop.id, id) : undefined;
    if (!m) throw new RequestError(404, `no customer message ${String(ctx.params.id)} in shop ${shop.id}`);
    if (m.kind !== 'text' || !m.text) throw new RequestError(400, `message ${id} is not text: only what customers write can be taught`);
    return m;
  }
}

function deskLesson(l: Lesson, playbook: CompiledPlaybook): DeskLesson {
  const label = l.intent === NOT_A_QUESTION ? '不用教' : teachableQuestions(playbook).find((q) => q.intent === l.intent)?.label ?? l.intent;
  const state = l.settled ? l.settled.outcome : 'waiting';
  // Read with today's playbooks, not at the time it was added: a later edit may have changed it either way.
  const inEffect = state === 'added' || state === 'already' ? withGuess(playbook, l.text, understand(l.text, playbook)).intent === l.intent : undefined;
  return {
    intent: l.intent, label, text: l.text, as: l.as, staff: l.staff, at: l.at, state, detail: l.settled?.detail ?? null,
    ...(inEffect === undefined ? {} : { inEffect }),
  };
}

/**
 * The transcript as staff read it: a guess names the question in the shop's words (its intent's
 * ask: 什么时候发货？, not an intent id), and a message staff taught shows what they taught.
 */
export async function withReadings(db: Db, messages: DeskMessage[], playbook: CompiledPlaybook): Promise<(DeskMessage & { lesson: DeskLesson | null })[]> {
  const lessons = await lessonsOn(db, messages.filter((m) => m.direction === 'in').map((m) => m.id));
  return messages.map((m) => {
    const lesson = lessons.get(m.id);
    return { ...m, guess: withAsk(playbook, m.guess), lesson: lesson ? deskLesson(lesson, playbook) : null };
  });
}

/** A guess as staff read it: with the question in the shop's words (its intent's ask), when it has one. */
function withAsk(playbook: CompiledPlaybook, guess: MessageGuess | null): (MessageGuess & { ask?: string }) | null {
  const ask = guess && askFor(playbook, guess.intent);
  return ask ? { ...guess!, ask } : guess;
}
