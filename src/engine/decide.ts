import type { ConversationState } from '../db/conversations.js';
import { endHandoff } from '../db/conversations.js';
import type { CompiledPlaybook, CompiledRule } from '../playbook/compiled.js';
import { foldText } from '../playbook/compiled.js';
import { perPlaybook } from '../playbook/derived.js';
import { normalize } from '../nlu/normalize.js';
import type { Channel, MessageKind } from '../types/index.js';
import type { ProductCycle } from './products.js';
import { orderVars, pushReply, runRules, startHandoff } from './actions.js';
import type { MatchContext } from './match.js';
import { isWithinHours, localDayStart, localTime } from './time.js';
import { pickedSuggestion, suggestionList, suggestionsFor, withGuess } from './suggest.js';
import { understandNormalized } from './understand.js';
import type { Understood } from './understand.js';

export interface Gift {
  name: string;
  minOrder: number;
}

/** Everything the engine needs to choose; it reads no database and no clock of its own. */
export interface DecideInput {
  shop: { id: string; name: string; timezone: string; businessHours: { from: string; to: string }; gifts?: readonly Gift[]; products?: readonly ProductCycle[] };
  playbook: CompiledPlaybook;
  /** event: session_start, an order event (order.paid …) or schedule; absent for a customer's message. */
  message: { text: string | null; kind: MessageKind; channel: Channel; event?: string };
  /** For event schedule: the one rule that came due. */
  scheduledRule?: string;
  /** The order an order event or follow-up is about. */
  order?: OrderView;
  customer: {
    name: string | null; firstSeenAt: number; tags: readonly string[]; tier: string | null;
    /** When each of their paid orders was bought (epoch ms): read only when a rule has `purchases:`. */
    purchasedAt?: readonly number[];
  };
  conversation: { isNew: boolean };
  state: ConversationState;
  now: Date;
  /** Returns a float in [0, 1); injectable so tests are repeatable. */
  random: () => number;
  /**
   * Handed-over customers of this channel are served in the platform's own client (微信客服 to the
   * 待接入池 or a 接待人员), where the API may not write: no waiting rule runs there.
   */
  servedInClient?: boolean;
}

export interface OrderView {
  id: string;
  state: string;
  total: number;
  items: readonly { title: string; qty: number; price: number }[];
  courier?: string;
  trackingNo?: string;
  review?: { rating: number; text?: string };
  exception?: { kind: string; note?: string };
  /** The reason the customer gave when asking for a refund (order.refund_requested); null: none given. */
  refundReason?: string | null;
  /** When the order closes if unpaid (epoch ms), when the order system said. */
  closesAt?: number;
  /** The customer paid another order since this one was placed (looked up for unpaid orders only). */
  paidElsewhere?: boolean;
  /** The customer paid a later order with one of this order's products (looked up when a rule asks: 复购提醒). */
  boughtAgain?: boolean;
  signedAt: number | null;
}

export { REVIEW_WINDOW_MS } from './match.js';

export interface PlannedReply {
  text: string;
  rule: string;
  response: string;
  variation: number;
  category: 'care' | 'marketing';
}

export interface PlannedFollowUp {
  rule: string;
  dueAt: number;
  notAfter: number | null;
  category: 'care' | 'marketing';
}

export interface Decision {
  understood: Understood;
  replies: PlannedReply[];
  state: ConversationState;
  fired: string[];
  tags: { add: string[]; remove: string[] };
  alerts: { rule: string; text: string }[];
  /** Set when this message handed the conversation to a person. */
  handoff: { rule: string; reason: string } | null;
  /** The bot said nothing because a person has the conversation. */
  silenced: boolean;
  /** A person has the conversation and nobody has answered yet: waiting rules ran (they may have said 请稍等). */
  waiting: boolean;
  schedules: PlannedFollowUp[];
  cancels: { rules: string[]; marketing: boolean };
  optOut: 'out' | 'in' | null;
}

/** Template variables every reply can use: the shop's and the customer's. */
export function shopAndCustomerVars(
  shop: Pick<DecideInput['shop'], 'id' | 'name' | 'businessHours'>, customer: { name: string | null; tier: string | null },
): Record<string, string | null> {
  return {
    'shop.name': shop.name, 'shop.id': shop.id,
    'shop.hours.from': shop.businessHours.from, 'shop.hours.to': shop.businessHours.to,
    'customer.name': customer.name, 'customer.tier': customer.tier,
  };
}

/** The rule name stamped on replies chosen by the fallback. */
export const FALLBACK_RULE = '(fallback)';
/** The reason recorded when the bot hands off because it failed to understand. */
export const MISSES_REASON = '连续两次没听懂';
/** …and when the customer said the bot's answer missed, right after another miss. */
export const MISREAD_REASON = '顾客说答非所问';

/** Intents by which a customer says the bot's last answer missed (`miss: true`: 答非所问). */
export const missIntents = perPlaybook((playbook): ReadonlySet<string> => new Set(playbook.intents.filter((i) => i.miss).map((i) => i.name)));

export function decide(input: DecideInput): Decision {
  const { shop, playbook, now } = input;
  const local = localTime(now, shop.timezone);
  const text = input.message.text === null ? null : normalize(input.message.text);
  const state = structuredClone(input.state);
  // The list the bot offered after a miss is answered by the next message or not at all (like expecting).
  const offered = input.message.event === undefined ? state.suggested ?? null : null;
  if (input.message.event === undefined) delete state.suggested;
  let understood = understandNormalized(text, playbook);
  const picked = offered && understood.intent === null ? pickedSuggestion(playbook, input.message.text, offered) : null;
  if (picked) understood = { intent: picked, type: null, candidates: [], also: [] };
  // Not while the bot waits for an answer (an order number): 我昨天下的单 then answers it, asks nothing.
  else if (input.message.text !== null && input.message.event === undefined && state.expecting === undefined) understood = withGuess(playbook, input.message.text, understood);
  const d: Decision = {
    understood, replies: [], state, fired: [], tags: { add: [], remove: [] }, alerts: [], handoff: null, silenced: false, waiting: false,
    schedules: [], cancels: { rules: [], marketing: false }, optOut: null,
  };
  const proactive = input.message.event !== undefined && input.message.event !== 'session_start';
  const held = !proactive && state.handoffUntil !== null && now.getTime() < state.handoffUntil;
  // Waiting for a person who has not answered yet: the shop's waiting rules may say 请稍等.
  d.waiting = held && input.message.event === undefined && state.handoffBy === undefined && input.servedInClient !== true
    && waitingRules(playbook).size > 0;
  if (held && !d.waiting) {
    d.silenced = true;
    delete state.expecting; // a person answers now; the bot's question is not pending when it is back
    return d;
  }
  if (!proactive && !held) endHandoff(state);
  // What the bot asked for is answered by the customer's next message or not at all: a number
  // sent an hour later about something else must not be taken for the order number asked for.
  const expecting = input.message.event === undefined ? state.expecting ?? null : null;
  if (input.message.event === undefined) delete state.expecting;

  const ctx: MatchContext = {
    input, understood, text,
    folded: input.message.text === null ? null : foldText(input.message.text),
    // Seen before today began (shop time); one formatToParts per customer would cost ~5 µs a message.
    returning: input.customer.firstSeenAt < localDayStart(now.getTime(), local),
    expecting,
    open: isWithinHours(local.minutes, shop.businessHours.from, shop.businessHours.to),
    today: local.day, state, tags: new Set(input.customer.tags), keywordRules: { set: null }, waiting: d.waiting,
  };
  const vars: Record<string, string | null> = { ...shopAndCustomerVars(shop, input.customer), ...orderVars(input.order, shop.products) };
  if (d.waiting) {
    // No fallback and no miss: what the customer says is for the person, who reads it all.
    runRules(d, ctx, vars);
    d.silenced = d.replies.length === 0;
    return d;
  }

  // 你好，这个适合送男朋友吗: a greeting or thanks beside a question no intent knows. The question
  // is a miss all the same, never silently dropped: in a new conversation the greeting is
  // answered and the fallback follows it; later on (谢谢，那这个适合送人吗) the fallback alone.
  const unheard = understood.unheard === true && playbook.fallback !== null;
  const greetFirst = unheard && input.conversation.isNew;
  // 答非所问: the customer says the last answer missed. That is a failure like a miss; a second in
  // a row goes to a person (domain.md §11) rather than to another apology.
  const saysMissed = understood.intent !== null && missIntents(playbook).has(understood.intent);
  if (saysMissed && state.misses + 1 >= playbook.settings.handoff.afterMisses && handOver(d, ctx, vars, MISREAD_REASON)) {
    state.misses = 0;
    return d;
  }
  let answered = runRules(d, unheard && !greetFirst ? { ...ctx, understood: { ...understood, intent: null } } : ctx, vars);
  // An event (the customer opened the chat, an order update, a follow-up) is not a message the
  // bot failed to understand: no fallback, no miss.
  if (input.message.event) return d;
  const missedToo = answered && greetFirst && !d.handoff;
  if (!answered || missedToo) {
    state.misses += 1;
    if (state.misses >= playbook.settings.handoff.afterMisses && understood.intent !== 'handoff') {
      // Failing twice in a row is when customers give up (domain.md §11): go to a person,
      // through the shop's own handoff rules so the wording and business hours are theirs.
      answered = handOver(d, ctx, vars, MISSES_REASON);
    }
  }
  if (answered && !d.handoff) answerOtherQuestions(d, ctx, vars);
  if ((!answered || missedToo) && !d.handoff && playbook.fallback) {
    d.fired.push(FALLBACK_RULE);
    if (!offerSuggestions(d, input, vars)) pushReply(d, playbook, playbook.fallback.reply, { name: FALLBACK_RULE, category: 'care' }, vars, input.random);
  }
  // A nod (好的, 👍) between two misses leaves the customer as stuck as before: it does not reset them.
  const nodded = answered && d.replies.length === 0 && d.fired.length > 0 && silentRules(playbook).has(d.fired.at(-1)!);
  if ((answered && !nodded && !missedToo && !saysMissed) || d.handoff) state.misses = 0;
  else if (saysMissed && answered) state.misses += 1; // its rule answered, and it still counts (unanswered, it was counted above)
  // 麻烦发一下订单号 → 好的 → 4012…: the nod is not the answer, the question stays open for it.
  if (nodded && expecting !== null && state.expecting === undefined) state.expecting = expecting;
  if (nodded && offered !== null && state.suggested === undefined) state.suggested = offered; // 好的 → 2: the list stays open too
  return d;
}

/** To a person through the shop's own handoff rules (their wording, their business hours), for `reason`; false if none answered. */
function handOver(d: Decision, ctx: MatchContext, vars: Record<string, string | null>, reason: string): boolean {
  const answered = runRules(d, { ...ctx, understood: { ...ctx.understood, intent: 'handoff' } }, vars);
  if (d.handoff) d.handoff.reason = ctx.state.handoffReason = reason;
  else if (answered) startHandoff(d, ctx, FALLBACK_RULE, reason);
  return answered;
}

/** 您是想问… instead of the plain fallback, when the missed message resembles questions the shop offers; true if sent. */
function offerSuggestions(d: Decision, input: DecideInput, vars: Record<string, string | null>): boolean {
  const { playbook } = input;
  const suggest = playbook.fallback?.suggest;
  if (!suggest || input.message.text === null) return false;
  const intents = suggestionsFor(playbook, input.message.text, d.understood.negated);
  if (intents.length === 0) return false;
  const before = d.replies.length;
  pushReply(d, playbook, suggest.reply, { name: FALLBACK_RULE, category: 'care' }, { ...vars, suggestions: suggestionList(playbook, intents) }, input.random);
  if (d.replies.length === before) return false;
  d.state.suggested = intents;
  return true;
}

/** Besides the main answer, how many other questions of one message get their own answer. */
export const MAX_OTHER_ANSWERS = 1;

/**
 * 包邮吗？什么时候发货 — a second question in its own clause gets its own answer, by the rules
 * written for its intent only (no out-of-hours note or greeting twice), placed where the customer
 * asked it. Not after a handoff: a person answers everything then.
 */
function answerOtherQuestions(d: Decision, ctx: MatchContext, vars: Record<string, string | null>): void {
  for (const q of ctx.understood.also.slice(0, MAX_OTHER_ANSWERS)) {
    const from = d.replies.length;
    const understood = { intent: q.intent, type: null, candidates: [], also: [] };
    runRules(d, { ...ctx, understood }, vars, (rule) => rule.intents?.has(q.intent) === true);
    if (!q.before || d.replies.length === from) continue;
    // Asked first: its answer goes before the main answer, after notes no intent asked for.
    const added = d.replies.splice(from);
    const asked = intentRules(ctx.input.playbook);
    const mainAt = d.replies.findIndex((r) => asked.has(r.rule));
    d.replies.splice(mainAt < 0 ? from : mainAt, 0, ...added);
  }
}

/** Rule names with a property, per playbook (a playbook may have thousands of rules). */
function ruleNames(test: (r: CompiledRule) => boolean): (playbook: CompiledPlaybook) => ReadonlySet<string> {
  return perPlaybook((playbook) => new Set(playbook.rules.filter(test).map((r) => r.name)));
}
/** The rules that answer an intent. */
const intentRules = ruleNames((r) => r.intents !== undefined);
/** The rules for a customer waiting for a person (when.waiting). */
const waitingRules = ruleNames((r) => r.waiting);
/** The rules that answer by saying nothing (好的, 👍). */
const silentRules = ruleNames((r) => r.actions.some((a) => 'silent' in a));
