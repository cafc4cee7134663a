import type { Kysely } from 'kysely';
import { conversationCustomers } from '../db/desk.js';
import { lessonsOnMessages } from '../db/lessons.js';
import type { MessageGuess } from '../db/messages.js';
import { inboundMessages, replies, scanPeriod } from '../db/report.js';
import type { InboundFact, ReplyFact } from '../db/report.js';
import type { Database } from '../db/schema.js';
import { questionKey, reception } from './kpis.js';

/** How far back the desk's 待核对 list looks: a week, as the report and the weekly summary do. */
export const TO_TEACH_DAYS = 7;
/** Questions it lists at most, the most recently asked first. */
export const TO_TEACH_LIMIT = 100;
const DAY_MS = 86_400_000;
/**
 * 答非所问 is about the answer just given: a customer message older than this before it was
 * another conversation (a 催付 or order-care message may be what they answered, not a question).
 */
export const MISREAD_WITHIN_MS = 30 * 60_000;

/** A question worth teaching: the bot guessed it, did not understand it, or the customer said it answered it wrong. */
export interface ToTeach {
  /** guessed: answered on likeness; missed: only the fallback answered; misread: the customer's next message said 答非所问. */
  reason: 'guessed' | 'missed' | 'misread';
  /** The latest customer message that asked it (teach on it) and its conversation (open it). */
  messageId: number;
  conversationId: number;
  text: string;
  at: number;
  /** Customers' messages that asked it in the period. */
  count: number;
  /** The bot's guess, when it answered on one. */
  guess: MessageGuess | null;
  /** Misread: the rules that answered it (what the customer said missed). */
  answeredBy: string[];
  customer: { channel: string; userId: string; name: string | null } | null;
}

/**
 * The desk's 待核对 list: the questions of the last week the bot answered on a guess or did not
 * understand, and those whose answer the customer's next message said missed (答非所问: a rule of
 * `missRules` answered it), grouped as the report groups them (the same words, whatever the
 * punctuation), a question gone from it once staff taught any message that asked it. Counted as
 * the report counts (a message only the fallback answered is not understood), from the same rows.
 */
export async function toTeach(
  db: Kysely<Database>, shopId: string, now: number, missRules: ReadonlySet<string> = new Set(),
): Promise<{ questions: ToTeach[]; total: number }> {
  const p = await scanPeriod(db, { from: now - TO_TEACH_DAYS * DAY_MS, to: now + 1 });
  const [inbound, answered] = await Promise.all([inboundMessages(db, shopId, p), replies(db, shopId, p)]);
  const { guessedTexts, notUnderstoodTexts } = reception(inbound, answered);
  const asked: Asked[] = [
    ...guessedTexts.map((m) => ({ ...m, reason: 'guessed' as const, answeredBy: [] })),
    ...notUnderstoodTexts.map((m) => ({ ...m, guess: null, reason: 'missed' as const, answeredBy: [] })),
  ];
  asked.push(...misread(inbound, answered, missRules, new Set(asked.map((m) => m.messageId))));
  if (asked.length === 0) return { questions: [], total: 0 };
  const taught = await lessonsOnMessages(db, shopId, asked.map((m) => m.messageId));
  const groups = new Map<string, { latest: Asked; count: number; taught: boolean }>();
  for (const m of asked) {
    const key = questionKey(m.text);
    const g = groups.get(key) ?? { latest: m, count: 0, taught: false };
    g.count += 1;
    g.taught ||= taught.has(m.messageId);
    if (m.messageId > g.latest.messageId) g.latest = m;
    groups.set(key, g);
  }
  const open = [...groups.values()].filter((g) => !g.taught).sort((a, b) => b.latest.messageId - a.latest.messageId);
  const shown = open.slice(0, TO_TEACH_LIMIT);
  const who = await conversationCustomers(db, shopId, [...new Set(shown.map((g) => g.latest.conversationId))]);
  return {
    total: open.length,
    questions: shown.map(({ latest: m, count }) => ({
      reason: m.reason, messageId: m.messageId, conversationId: m.conversationId, text: m.text, at: m.at, count,
      guess: m.guess, answeredBy: m.answeredBy, customer: who.get(m.conversationId) ?? null,
    })),
  };
}

type Asked = Pick<ToTeach, 'reason' | 'messageId' | 'conversationId' | 'text' | 'at' | 'guess' | 'answeredBy'>;

/** The customer's messages whose answer their next message said missed (not already listed as guessed or missed). */
function misread(inbound: readonly InboundFact[], answered: readonly ReplyFact[], missRules: ReadonlySet<string>, listed: ReadonlySet<number>): Asked[] {
  if (missRules.size === 0) return [];
  const rulesOf = new Map<string, string[]>();
  for (const r of answered) if (r.rule !== null) rulesOf.set(`${r.conversationId}:${r.inboundAt}`, [...(rulesOf.get(`${r.conversationId}:${r.inboundAt}`) ?? []), r.rule]);
  const before = new Map<number, InboundFact>(); // each conversation's previous customer message, walking in time order
  const out: Asked[] = [];
  for (const m of inbound) {
    const prev = before.get(m.conversationId);
    before.set(m.conversationId, m);
    if (!prev?.text || listed.has(prev.messageId) || m.at - prev.at > MISREAD_WITHIN_MS) continue;
    if (!(rulesOf.get(`${m.conversationId}:${m.at}`) ?? []).some((r) => missRules.has(r))) continue;
    out.push({
      reason: 'misread', messageId: prev.messageId, conversationId: prev.conversationId, text: prev.text, at: prev.at, guess: prev.guess,
      answeredBy: [...new Set(rulesOf.get(`${prev.conversationId}:${prev.at}`) ?? [])],
    });
  }
  return out;
}
