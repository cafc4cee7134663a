import type { ConversationState } from '../db/conversations.js';
import type { CompiledPlaybook, CompiledRule } from '../playbook/compiled.js';
import { durationMs, findPhrases, foldText } from '../playbook/compiled.js';
import { normalize } from '../nlu/normalize.js';
import type { Normalized } from '../nlu/normalize.js';
import type { Channel, MessageKind } from '../types/index.js';
import { parseTemplate, render } from './template.js';
import type { Template, TemplateVars } from './template.js';
import { hhmmToMinutes, isWithinHours, localTime } from './time.js';
import { understand } from './understand.js';
import type { Understood } from './understand.js';

export interface Gift {
  name: string;
  minOrder: number;
}

/** Everything the engine needs to choose; it reads no database and no clock of its own. */
export interface DecideInput {
  shop: { id: string; name: string; timezone: string; businessHours: { from: string; to: string }; gifts?: readonly Gift[] };
  playbook: CompiledPlaybook;
  /** event: session_start, an order event (order.paid …) or schedule; absent for a customer's message. */
  message: { text: string | null; kind: MessageKind; channel: Channel; event?: string };
  /** For event schedule: the one rule that came due. */
  scheduledRule?: string;
  /** The order an order event or follow-up is about. */
  order?: OrderView;
  customer: { name: string | null; firstSeenAt: number; tags: readonly string[]; tier: string | null };
  conversation: { isNew: boolean };
  state: ConversationState;
  now: Date;
  /** Returns a float in [0, 1); injectable so tests are repeatable. */
  random: () => number;
}

export interface OrderView {
  id: string;
  state: string;
  total: number;
  items: readonly { title: string; qty: number; price: number }[];
  courier?: string;
  trackingNo?: string;
  review?: { rating: number; text?: string };
  signedAt: number | null;
}

/** Reviews can be left for 15 days after the goods are signed for (domain.md §5). */
export const REVIEW_WINDOW_MS = 15 * 86_400_000;

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
  schedules: PlannedFollowUp[];
  cancels: { rules: string[]; marketing: boolean };
  optOut: 'out' | 'in' | null;
}

/** The rule name stamped on replies chosen by the fallback. */
export const FALLBACK_RULE = '(fallback)';
/** The reason recorded when the bot hands off because it failed to understand. */
export const MISSES_REASON = 'not understood repeatedly';

export function decide(input: DecideInput): Decision {
  const { shop, playbook, now } = input;
  const local = localTime(now, shop.timezone);
  const understood = understand(input.message.text, playbook);
  const state = structuredClone(input.state);
  const d: Decision = {
    understood, replies: [], state, fired: [], tags: { add: [], remove: [] }, alerts: [], handoff: null, silenced: false,
    schedules: [], cancels: { rules: [], marketing: false }, optOut: null,
  };
  const proactive = input.message.event !== undefined && input.message.event !== 'session_start';
  if (!proactive && state.handoffUntil !== null && now.getTime() < state.handoffUntil) {
    d.silenced = true;
    return d;
  }
  if (!proactive) state.handoffUntil = null;

  const ctx: MatchContext = {
    input, understood, text: input.message.text === null ? null : normalize(input.message.text),
    folded: input.message.text === null ? null : foldText(input.message.text),
    returning: localTime(input.customer.firstSeenAt, shop.timezone).day !== local.day,
    open: isWithinHours(local.minutes, shop.businessHours.from, shop.businessHours.to),
    today: local.day, state, tags: new Set(input.customer.tags),
  };
  const vars: Record<string, string | null> = {
    'shop.name': shop.name, 'shop.id': shop.id,
    'shop.hours.from': shop.businessHours.from, 'shop.hours.to': shop.businessHours.to,
    'customer.name': input.customer.name, 'customer.tier': input.customer.tier,
    ...orderVars(input.order),
  };

  let answered = runRules(d, ctx, vars);
  // An event (the customer opened the chat, an order update, a follow-up) is not a message the
  // bot failed to understand: no fallback, no miss.
  if (input.message.event) return d;
  if (!answered) {
    state.misses += 1;
    if (state.misses >= playbook.settings.handoff.afterMisses && understood.intent !== 'handoff') {
      // Failing twice in a row is when customers give up (domain.md §11): go to a person,
      // through the shop's own handoff rules so the wording and business hours are theirs.
      answered = runRules(d, { ...ctx, understood: { ...understood, intent: 'handoff' } }, vars);
      if (d.handoff) d.handoff.reason = MISSES_REASON;
      else if (answered) startHandoff(d, ctx, FALLBACK_RULE, MISSES_REASON);
    }
  }
  if (!answered && playbook.fallback) {
    d.fired.push(FALLBACK_RULE);
    pushReply(d, playbook, playbook.fallback.reply, { name: FALLBACK_RULE, category: 'care' }, vars, input.random);
  }
  if (answered || d.handoff) state.misses = 0;
  return d;
}

interface MatchContext {
  input: DecideInput;
  understood: Understood;
  /** for keywords: normalized and segmented */
  text: Normalized | null;
  /** for regexes: the customer's text, only width and case folded */
  folded: string | null;
  returning: boolean;
  open: boolean;
  today: string;
  state: ConversationState;
  tags: Set<string>;
}

/** Fires matching rules in order; true when a rule that stops the search (an answer) fired. */
function runRules(d: Decision, ctx: MatchContext, vars: Record<string, string | null>): boolean {
  const { playbook, now, random } = ctx.input;
  for (const rule of playbook.rules) {
    if (!matches(rule, ctx)) continue;
    d.fired.push(rule.name);
    recordFiring(ctx.state, rule.name, now.getTime(), ctx.today);
    for (const action of rule.actions) {
      if ('reply' in action) pushReply(d, playbook, action.reply, rule, { ...vars, ...slotVars(ctx.state) }, random);
      else if ('set' in action) for (const [k, v] of Object.entries(action.set)) ctx.state.slots[k] = String(v);
      else if ('clear' in action) for (const k of action.clear) delete ctx.state.slots[k];
      else if ('tag' in action) for (const t of action.tag) addTag(d, ctx, t);
      else if ('untag' in action) for (const t of action.untag) removeTag(d, ctx, t);
      else if ('handoff' in action) startHandoff(d, ctx, rule.name, action.handoff === true ? 'asked for a person' : action.handoff.reason);
      else if ('release' in action) ctx.state.handoffUntil = null;
      else if ('alert' in action) d.alerts.push({ rule: rule.name, text: render(parseAlert(action.alert), { ...vars, ...slotVars(ctx.state) }) ?? action.alert });
      else if ('schedule' in action) planFollowUp(d, ctx, action.schedule);
      else if ('cancel' in action) {
        for (const name of action.cancel) {
          if (name === 'marketing') d.cancels.marketing = true;
          else d.cancels.rules.push(name);
        }
      } else if ('optOut' in action) d.optOut = 'out';
      else if ('optIn' in action) d.optOut = 'in';
      else if ('offerGift' in action) {
        const gift = availableGift(ctx);
        if (gift) {
          ctx.state.slots.gift = gift.name;
          vars['gift.name'] = gift.name;
          vars['gift.minOrder'] = String(gift.minOrder);
        }
      }
    }
    if (!rule.continue) return true;
  }
  return false;
}

function startHandoff(d: Decision, ctx: MatchContext, rule: string, reason: string): void {
  const minutes = ctx.input.playbook.settings.handoff.silenceMinutes;
  ctx.state.handoffUntil = ctx.input.now.getTime() + minutes * 60_000;
  d.handoff = { rule, reason };
}

function addTag(d: Decision, ctx: MatchContext, t: string): void {
  if (ctx.tags.has(t)) return;
  ctx.tags.add(t);
  d.tags.add.push(t);
}

function removeTag(d: Decision, ctx: MatchContext, t: string): void {
  if (!ctx.tags.delete(t)) return;
  d.tags.remove.push(t);
}

function availableGift(ctx: MatchContext): Gift | undefined {
  return ctx.input.shop.gifts?.[0];
}

function slotVars(state: ConversationState): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(state.slots)) out[`slots.${k}`] = v;
  return out;
}

function matches(rule: CompiledRule, ctx: MatchContext): boolean {
  const { input, state } = ctx;
  if (!rule.enabled) return false;
  const event = input.message.event;
  if (event === undefined) {
    if (rule.event !== 'message' && rule.event !== 'first_message') return false;
  } else if (rule.event !== event) return false;
  if (event === 'schedule' && rule.name !== input.scheduledRule) return false;
  if (rule.event === 'first_message' && !input.conversation.isNew) return false;
  if (rule.orderStates && !(input.order && rule.orderStates.has(input.order.state))) return false;
  if (rule.rating) {
    const stars = input.order?.review?.rating;
    if (stars === undefined || (rule.rating.atLeast !== undefined && stars < rule.rating.atLeast) || (rule.rating.atMost !== undefined && stars > rule.rating.atMost)) return false;
  }
  if (rule.reviewWindow) {
    const signed = input.order?.signedAt ?? null;
    const open = signed !== null && input.now.getTime() < signed + REVIEW_WINDOW_MS;
    if ((rule.reviewWindow === 'open') !== open) return false;
  }
  if (rule.kinds && !rule.kinds.has(input.message.kind)) return false;
  if (rule.channels && !rule.channels.has(input.message.channel)) return false;
  if (rule.returning !== undefined && rule.returning !== ctx.returning) return false;
  if (rule.hours !== undefined && (rule.hours === 'open') !== ctx.open) return false;
  if (rule.tiers && !(input.customer.tier !== null && rule.tiers.has(input.customer.tier))) return false;
  if (!rule.tags.every((t) => ctx.tags.has(t)) || rule.notTags.some((t) => ctx.tags.has(t))) return false;
  for (const [k, v] of rule.slots) if ((state.slots[k] ?? null) !== v) return false;
  if (rule.giftAvailable !== undefined && (availableGift(ctx) !== undefined) !== rule.giftAvailable) return false;
  if (rule.limit) {
    const f = state.fired[rule.name];
    const count = !f ? 0 : rule.limit.per === 'day' ? (f.day === ctx.today ? f.dayCount : 0) : f.count;
    if (count >= rule.limit.times) return false;
  }
  if (rule.fired) {
    const count = state.fired[rule.fired.rule]?.count ?? 0;
    if (rule.fired.lessThan !== undefined && count >= rule.fired.lessThan) return false;
    if (rule.fired.atLeast !== undefined && count < rule.fired.atLeast) return false;
  }
  if (rule.intents && !(ctx.understood.intent !== null && rule.intents.has(ctx.understood.intent))) return false;
  if (rule.bargainers && !(ctx.understood.type !== null && rule.bargainers.has(ctx.understood.type))) return false;
  if (!rule.keywords && rule.regex.length === 0) return true;
  const { text, folded } = ctx;
  if (text === null || folded === null) return false;
  return (rule.keywords !== undefined && findPhrases(rule.keywords, text, false).length > 0) || rule.regex.some((r) => r.test(folded));
}

function recordFiring(state: ConversationState, rule: string, at: number, day: string): void {
  const prev = state.fired[rule];
  state.fired[rule] = {
    count: (prev?.count ?? 0) + 1,
    lastAt: at,
    day,
    dayCount: prev && prev.day === day ? prev.dayCount + 1 : 1,
  };
}

/** Alert texts are few and fixed per playbook: parse each once. */
const alertTemplates = new Map<string, Template>();
function parseAlert(text: string): Template {
  let t = alertTemplates.get(text);
  if (!t) {
    t = parseTemplate(text);
    alertTemplates.set(text, t);
  }
  return t;
}

/**
 * Picks a variation the customer did not see last time, among those whose variables all have
 * values. If none renders, the reply is dropped rather than showing a broken text.
 */
function pushReply(
  d: Decision, playbook: CompiledPlaybook, responseName: string, rule: { name: string; category: 'care' | 'marketing' }, vars: TemplateVars, random: () => number,
): void {
  const response = playbook.responses.get(responseName);
  if (!response) return;
  const rendered = response.variations
    .map((t, i) => ({ i, text: render(t, vars) }))
    .filter((v): v is { i: number; text: string } => v.text !== null);
  if (rendered.length === 0) return;
  const last = d.state.lastVariation[responseName];
  const fresh = rendered.length > 1 ? rendered.filter((v) => v.i !== last) : rendered;
  const pick = fresh[Math.min(fresh.length - 1, Math.floor(random() * fresh.length))]!;
  d.state.lastVariation[responseName] = pick.i;
  d.replies.push({ text: pick.text, rule: rule.name, response: responseName, variation: pick.i, category: rule.category });
}

function orderVars(order: OrderView | undefined): Record<string, string | null> {
  if (!order) return {};
  return {
    'order.id': order.id, 'order.total': order.total.toFixed(2),
    'order.items': order.items.map((i) => (i.qty > 1 ? `${i.title}×${i.qty}` : i.title)).join('、'),
    'order.courier': order.courier ?? null, 'order.trackingNo': order.trackingNo ?? null,
    'order.review': order.review?.text ?? null,
  };
}

/**
 * When a follow-up comes due: `after` from now, or the next `at` time of day in the shop's
 * zone (`days` later). Shop zones here have no DST, so a day is 24 hours.
 */
function planFollowUp(d: Decision, ctx: MatchContext, spec: { rule: string; after?: string; at?: string; days?: number }): void {
  const target = ctx.input.playbook.rules.find((r) => r.name === spec.rule);
  if (!target || !target.enabled) return;
  const now = ctx.input.now.getTime();
  let due: number;
  if (spec.after) due = now + durationMs(spec.after);
  else {
    const local = localTime(now, ctx.input.shop.timezone);
    const midnight = Math.floor(now / 60_000) * 60_000 - local.minutes * 60_000;
    due = midnight + (spec.days ?? 0) * 86_400_000 + hhmmToMinutes(spec.at!) * 60_000;
    if (due <= now) due += 86_400_000;
  }
  d.schedules.push({ rule: target.name, dueAt: due, notAfter: target.staleAfterMs === undefined ? null : due + target.staleAfterMs, category: target.category });
}
