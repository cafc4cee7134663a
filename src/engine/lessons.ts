import type { LessonAs } from '../db/schema.js';
import type { CompiledPlaybook } from '../playbook/compiled.js';
import { perPlaybook } from '../playbook/derived.js';
import { missIntents } from './decide.js';
import { askFor, mayGuess } from './suggest.js';

/**
 * Teaching from the desk. Staff say what a customer's message meant; whether it becomes a phrase
 * (answered for certain) or an example (answered or offered by likeness) is decided here, so
 * staff never have to know the difference:
 * - a guess staff confirmed becomes a phrase: it was right, now it is certain;
 * - an intent a guess never answers (no `ask`, or its rules hand over, opt out or alert staff)
 *   learns only by phrases: an example would never be used;
 * - words a phrase already reads (as something else: the customer said 答非所问) can only be
 *   changed by a phrase: examples count only for messages no phrase recognises;
 * - anything else becomes an example: the same words are then answered, and other wordings
 *   like them are answered or offered (您是想问) too — a phrase would only ever match itself.
 */
export function lessonAs(playbook: CompiledPlaybook, intent: string, confirmsGuess: boolean, readByPhrase: boolean): LessonAs {
  return confirmsGuess || readByPhrase || !mayGuess(playbook, intent) ? 'phrase' : 'example';
}

/** Rules that answer a customer saying the bot's last answer missed (intents with `miss: true`). */
export const missRules = perPlaybook((playbook): ReadonlySet<string> => {
  const intents = missIntents(playbook);
  return new Set(playbook.rules.filter((r) => r.intents && [...r.intents].some((i) => intents.has(i))).map((r) => r.name));
});

/** The longest text a lesson takes: one customer question, not a chat. */
export const LESSON_MAX_CHARS = 120;
/** The shortest: one character as a phrase (寄, 货) would claim every message that has it. */
export const LESSON_MIN_CHARS = 2;
/**
 * Six digits or more in a row are an order number, a phone number or an ID card: they would land
 * in playbook files every instance (and the repository) shares, and match no other customer.
 */
const PERSONAL_NUMBER = /\d{6,}/;

/** Why this text cannot be taught (in staff words), or null when it can. */
export function lessonTextProblem(text: string): string | null {
  if (!text) return '写下要教的话（顾客的原话，可以删减）';
  if ([...text].length < LESSON_MIN_CHARS) return `至少 ${LESSON_MIN_CHARS} 个字：一个字会把很多别的话也当成这个问题`;
  if ([...text].length > LESSON_MAX_CHARS) return `最多 ${LESSON_MAX_CHARS} 个字：只留下顾客问的那一句`;
  if (PERSONAL_NUMBER.test(text)) return '去掉订单号、手机号等号码再教：话术文件所有人都能看到，号码也对不上别的顾客';
  return null;
}

/** A question staff can pick at the desk: the intent's ask, or its name with phrases that show what it is. */
export interface TeachableQuestion {
  intent: string;
  label: string;
}

/** Phrases shown beside an intent that has no ask: plain words, not patterns. */
const LABEL_PHRASES = 3;

/** Every intent of the playbook as staff can pick it, offered ones (an ask) first, in playbook order. */
export const teachableQuestions = perPlaybook((playbook): readonly TeachableQuestion[] => {
  const asked: TeachableQuestion[] = [];
  const others: TeachableQuestion[] = [];
  for (const i of playbook.intents) {
    const ask = askFor(playbook, i.name);
    if (ask !== undefined) {
      asked.push({ intent: i.name, label: ask });
      continue;
    }
    const plain = i.phrases.filter((p) => !p.startsWith('/') && !p.includes('…') && !/^[a-z ]+$/.test(p)).slice(0, LABEL_PHRASES);
    others.push({ intent: i.name, label: plain.length ? `${i.name}（如：${plain.join('、')}）` : i.name });
  }
  return [...asked, ...others];
});
