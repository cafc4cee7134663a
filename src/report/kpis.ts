import { identityKey } from '../db/report.js';
import type { InboundFact, OrderFact, Period, ProactiveFact, ReplyFact, StaffReplyFact } from '../db/report.js';
import { FALLBACK_RULE } from '../engine/decide.js';
import { foldText } from '../playbook/compiled.js';

/** 询单转化: an order counts for a customer who placed it within this long after first writing. */
export const CONVERSION_WINDOW_DAYS = 3;
/** Messages the bot did not understand, most frequent first: this many are listed. */
export const TOP_NOT_UNDERSTOOD = 10;
/** Items listed as most ordered. */
export const TOP_ITEMS = 5;
const DAY_MS = 86_400_000;
/** A handoff nobody answered at the desk within this long counts as not answered. */
export const STAFF_ANSWER_WINDOW_MS = DAY_MS;

export interface Reception {
  /** 询单人数: customers who wrote in the period. */
  customers: number;
  messages: number;
  /** A playbook rule answered (handoff replies included). */
  understood: number;
  /** Of those, answered on a guess: no phrase matched, the intent taken from likeness to its examples. */
  guessed: number;
  /** Only the fallback answered. */
  notUnderstood: number;
  /** The customer said the bot's answer missed (答非所问: a rule of an intent with `miss: true` answered it). */
  misread: number;
  /** No reply: a person had the conversation, or the rule that fired says nothing. */
  noReply: number;
}

/** Milliseconds from the customer's message to the platform taking the bot's reply. */
export interface Latency {
  replies: number;
  median: number | null;
  p90: number | null;
}

export interface Conversion {
  inquirers: number;
  ordered: number;
  paid: number;
}

export interface PaymentReminders {
  rules: string[];
  ordersReminded: number;
  paidAfter: number;
}

/** A message only the fallback answered: what was asked, where and when. */
export type NotUnderstoodFact = Pick<InboundFact, 'messageId' | 'conversationId' | 'at'> & { text: string };

/** A message the bot answered on a guess (fallback.suggest.answerAbove). */
export type GuessedFact = NotUnderstoodFact & { guess: NonNullable<InboundFact['guess']> };

export function reception(
  inbound: readonly InboundFact[], replies: readonly ReplyFact[], missRules: ReadonlySet<string> = new Set(),
): Reception & { notUnderstoodTexts: NotUnderstoodFact[]; guessedTexts: GuessedFact[] } {
  const rulesByMessage = new Map<string, Set<string | null>>();
  for (const r of replies) {
    const key = `${r.conversationId}:${r.inboundAt}`;
    rulesByMessage.set(key, (rulesByMessage.get(key) ?? new Set()).add(r.rule));
  }
  const out = { customers: new Set(inbound.map((m) => m.customerId)).size, messages: inbound.length, understood: 0, guessed: 0, notUnderstood: 0, misread: 0, noReply: 0 };
  const notUnderstoodTexts: NotUnderstoodFact[] = [];
  const guessedTexts: GuessedFact[] = [];
  for (const m of inbound) {
    const rules = rulesByMessage.get(`${m.conversationId}:${m.at}`);
    if (!rules) out.noReply += 1;
    else if ([...rules].some((r) => r !== FALLBACK_RULE)) {
      out.understood += 1;
      if ([...rules].some((r) => r !== null && missRules.has(r))) out.misread += 1;
      if (m.guess) {
        out.guessed += 1;
        if (m.text) guessedTexts.push({ messageId: m.messageId, conversationId: m.conversationId, at: m.at, text: m.text, guess: m.guess });
      }
    } else {
      out.notUnderstood += 1;
      if (m.text) notUnderstoodTexts.push({ messageId: m.messageId, conversationId: m.conversationId, at: m.at, text: m.text });
    }
  }
  return { ...out, notUnderstoodTexts, guessedTexts };
}

/** Every reply, and each conversation's first answer in the period (首次响应). */
export function latency(inbound: readonly InboundFact[], replies: readonly ReplyFact[]): { first: Latency; all: Latency } {
  const sent = replies.filter((r) => r.sentAt !== null);
  const all = sent.map((r) => r.sentAt! - r.inboundAt);
  const firstAsked = new Map<number, number>();
  for (const m of inbound) if (!firstAsked.has(m.conversationId)) firstAsked.set(m.conversationId, m.at); // inbound is in time order
  const firstAnswered = new Map<number, number>();
  for (const r of sent) {
    const asked = firstAsked.get(r.conversationId);
    if (asked === undefined || r.inboundAt < asked) continue;
    firstAnswered.set(r.conversationId, Math.min(firstAnswered.get(r.conversationId) ?? Infinity, r.sentAt!));
  }
  const first = [...firstAnswered].map(([c, at]) => at - firstAsked.get(c)!);
  return { first: summarize(first), all: summarize(all) };
}

export interface StaffResponse {
  handoffs: number;
  /** Handoffs a person answered at the desk within STAFF_ANSWER_WINDOW_MS. */
  answered: number;
  /** Handoff → the first reply a person wrote (domain.md §10: staff are judged by it). */
  firstReplyMs: Latency;
  replies: number;
  staff: number;
}

/** How quickly people answered the customers the bot handed over, from the desk's replies. */
export function staffResponse(handoffs: readonly { conversationId: number; at: number }[], replies: readonly StaffReplyFact[], p: Period): StaffResponse {
  const byConversation = new Map<number, number[]>();
  for (const r of replies) groupInto(byConversation, r.conversationId, r.at);
  const waits: number[] = [];
  for (const h of handoffs) {
    const first = (byConversation.get(h.conversationId) ?? []).find((at) => at >= h.at);
    if (first !== undefined && first - h.at <= STAFF_ANSWER_WINDOW_MS) waits.push(first - h.at);
  }
  const inPeriod = replies.filter((r) => r.at >= p.from && r.at < p.to);
  return {
    handoffs: handoffs.length, answered: waits.length, firstReplyMs: summarize(waits),
    replies: inPeriod.length, staff: new Set(inPeriod.map((r) => r.staff)).size,
  };
}

/** 询单转化率: of the customers who wrote, who ordered (and paid) within the window after first writing. */
export function conversion(inbound: readonly InboundFact[], identities: ReadonlyMap<number, string>, orders: readonly OrderFact[]): Conversion {
  const firstAsk = new Map<string, number>();
  for (const m of inbound) {
    const who = identities.get(m.customerId);
    if (who !== undefined && !firstAsk.has(who)) firstAsk.set(who, m.at);
  }
  const ordered = new Set<string>();
  const paid = new Set<string>();
  for (const o of orders) {
    const who = identityKey(o.customerChannel, o.customerUserId);
    const asked = firstAsk.get(who);
    if (asked === undefined || o.at < asked || o.at > asked + CONVERSION_WINDOW_DAYS * DAY_MS) continue;
    if (o.type === 'order.created' || o.type === 'order.paid') ordered.add(who);
    if (o.type === 'order.paid') paid.add(who);
  }
  return { inquirers: new Set(inbound.map((m) => m.customerId)).size, ordered: ordered.size, paid: paid.size };
}

/** 催付: orders that got a reminder, and how many were paid after their first one. */
export function paymentReminders(rules: readonly string[], proactive: readonly ProactiveFact[], orders: readonly OrderFact[]): PaymentReminders {
  const names = new Set(rules);
  const firstReminder = new Map<string, number>();
  for (const p of proactive) {
    if (p.orderId === null || p.rule === null || !names.has(p.rule)) continue;
    firstReminder.set(p.orderId, Math.min(firstReminder.get(p.orderId) ?? Infinity, p.sentAt));
  }
  const paidAfter = new Set<string>();
  for (const o of orders) {
    const reminded = firstReminder.get(o.orderId);
    if (o.type === 'order.paid' && reminded !== undefined && o.at >= reminded) paidAfter.add(o.orderId);
  }
  return { rules: [...rules], ordersReminded: firstReminder.size, paidAfter: paidAfter.size };
}

/**
 * What customers asked that no rule answered, grouped by their words (width, case, spacing and
 * end punctuation ignored), most frequent first: 快捷语 candidates (domain.md §10). Each with what
 * a person answered the last time it was asked and answered at the desk (the first reply of staff in that chat within STAFF_ANSWER_WINDOW_MS
 * after it): the draft of a saved answer (domain.md §10) for staff to check, not to copy blindly —
 * a reply may name one customer's order.
 */
export function topNotUnderstood(
  asked: readonly NotUnderstoodFact[], staff: readonly StaffReplyFact[] = [], limit = TOP_NOT_UNDERSTOOD,
): { text: string; count: number; staffAnswer?: string }[] {
  const byConversation = new Map<number, StaffReplyFact[]>();
  for (const r of staff) if (r.text) groupInto(byConversation, r.conversationId, r);
  const groups = new Map<string, { count: number; answer?: { at: number; text: string } }>();
  for (const q of asked) {
    const key = questionKey(q.text);
    if (!key) continue;
    const g = groups.get(key) ?? { count: 0 };
    g.count += 1;
    const reply = byConversation.get(q.conversationId)?.find((r) => r.at >= q.at && r.at - q.at <= STAFF_ANSWER_WINDOW_MS);
    if (reply && (!g.answer || q.at > g.answer.at)) g.answer = { at: q.at, text: reply.text! };
    groups.set(key, g);
  }
  return [...groups].map(([text, g]) => ({ text, count: g.count, ...(g.answer ? { staffAnswer: g.answer.text } : {}) }))
    .sort((a, b) => b.count - a.count || a.text.localeCompare(b.text)).slice(0, limit);
}

/** A question as grouped and shown: the same words, whatever the case, spacing or closing punctuation. */
export function questionKey(text: string): string {
  return foldText(text).replace(/\s+/g, ' ').trim().replace(/[\s?？!！.。~～…,，、]+$/u, '');
}

/** Guessed answers listed for staff to check. */
export const TOP_GUESSED = 10;

/**
 * The bot's guesses, most frequent first: each question with the intent it was taken for and how
 * alike it was at best. A right guess is worth a phrase (answered for certain); a wrong one is
 * the next thing to teach. Grouped by question and intent: a guess that changed with the
 * playbooks during the period shows both.
 */
export function topGuessed(guessed: readonly GuessedFact[], limit = TOP_GUESSED): { text: string; intent: string; score: number; count: number }[] {
  const groups = new Map<string, { text: string; intent: string; score: number; count: number }>();
  for (const g of guessed) {
    const text = questionKey(g.text);
    if (!text) continue;
    const key = `${text}\0${g.guess.intent}`;
    const group = groups.get(key) ?? { text, intent: g.guess.intent, score: 0, count: 0 };
    group.count += 1;
    group.score = Math.max(group.score, g.guess.score);
    groups.set(key, group);
  }
  return [...groups.values()].sort((a, b) => b.count - a.count || a.score - b.score || a.text.localeCompare(b.text)).slice(0, limit);
}

/** Orders placed in the period: an order.created or order.paid event of theirs falls in it (each order once). */
export function ordersPlaced(orders: readonly OrderFact[], p: Period): OrderFact[] {
  const byId = new Map<string, OrderFact>();
  for (const o of orders) {
    if ((o.type === 'order.created' || o.type === 'order.paid') && o.at >= p.from && o.at < p.to) byId.set(o.orderId, o);
  }
  return [...byId.values()];
}

/** Items by how many orders placed in the period carry them (热销, domain.md §9), most first. */
export function topItems(orders: readonly { items: readonly { title: string; qty: number }[] }[], limit = TOP_ITEMS): { title: string; orders: number; qty: number }[] {
  const byTitle = new Map<string, { orders: number; qty: number }>();
  for (const o of orders) {
    for (const i of o.items) {
      const t = byTitle.get(i.title) ?? { orders: 0, qty: 0 };
      byTitle.set(i.title, { orders: t.orders + 1, qty: t.qty + i.qty });
    }
  }
  return [...byTitle].map(([title, t]) => ({ title, ...t }))
    .sort((a, b) => b.orders - a.orders || b.qty - a.qty || a.title.localeCompare(b.title)).slice(0, limit);
}

/** Provinces listed under where customers are. */
export const TOP_REGIONS = 10;

/**
 * Where the period's orders go (domain.md §9: know where customers are), most first: provinces as
 * the order system names them, "广东省" and "广东" taken as one. `unknown`: orders without one.
 */
export function topRegions(orders: readonly { province?: string }[], limit = TOP_REGIONS): { regions: { province: string; orders: number }[]; unknown: number } {
  const byProvince = new Map<string, number>();
  let unknown = 0;
  for (const o of orders) {
    const p = o.province?.trim().replace(/(?:壮族自治区|回族自治区|维吾尔自治区|特别行政区|自治区|省|市)$/u, '');
    if (p) byProvince.set(p, (byProvince.get(p) ?? 0) + 1);
    else unknown += 1;
  }
  const regions = [...byProvince].map(([province, n]) => ({ province, orders: n }))
    .sort((a, b) => b.orders - a.orders || a.province.localeCompare(b.province)).slice(0, limit);
  return { regions, unknown };
}

/** Rules by how many customer messages they answered (fallback aside), most first. */
export function ruleUse(replies: readonly ReplyFact[]): { rule: string; messages: number }[] {
  const byRule = new Map<string, Set<string>>();
  for (const r of replies) {
    if (r.rule === null || r.rule === FALLBACK_RULE) continue;
    byRule.set(r.rule, (byRule.get(r.rule) ?? new Set()).add(`${r.conversationId}:${r.inboundAt}`));
  }
  return [...byRule].map(([rule, msgs]) => ({ rule, messages: msgs.size }))
    .sort((a, b) => b.messages - a.messages || a.rule.localeCompare(b.rule));
}

function summarize(ms: number[]): Latency {
  const sorted = [...ms].sort((a, b) => a - b);
  const at = (q: number) => (sorted.length ? sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)]! : null);
  return { replies: sorted.length, median: at(0.5), p90: at(0.9) };
}

/** Appends in place: copying the list on every reply made a busy conversation's week quadratic. */
export function groupInto<K, V>(groups: Map<K, V[]>, key: K, value: V): void {
  const list = groups.get(key);
  if (list) list.push(value);
  else groups.set(key, [value]);
}
