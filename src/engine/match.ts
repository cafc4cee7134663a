import type { ConversationState } from '../db/conversations.js';
import type { CompiledRule } from '../playbook/compiled.js';
import { foldText } from '../playbook/compiled.js';
import type { Normalized } from '../nlu/normalize.js';
import { styleOf } from '../nlu/style.js';
import type { DecideInput, Gift, OrderView } from './decide.js';
import { keywordsMatch, rulesWithKeywordsIn } from './keywords.js';
import type { Understood } from './understand.js';

/** Reviews can be left for 15 days after the goods are signed for (domain.md §5). */
export const REVIEW_WINDOW_MS = 15 * 86_400_000;

/** What conditions are checked against: the input, what was understood, and shop-local facts. */
export interface MatchContext {
  input: DecideInput;
  understood: Understood;
  /** for keywords: normalized and segmented */
  text: Normalized | null;
  /** for regexes: the customer's text, only width and case folded */
  folded: string | null;
  returning: boolean;
  open: boolean;
  /** A person has the conversation and nobody has taken or answered it yet: only waiting rules run. */
  waiting: boolean;
  /** What the bot asked for in its last answer, for the customer's message that follows it (else null). */
  expecting: string | null;
  today: string;
  state: ConversationState;
  tags: Set<string>;
  /** The rules whose Chinese keywords the message contains, found once per message on first need (shared by copies of the context). */
  keywordRules: { set: ReadonlySet<CompiledRule> | null };
}

export function availableGift(ctx: MatchContext): Gift | undefined {
  return ctx.input.shop.gifts?.[0];
}

/** Whether the order's goods and amount are what the rule asks for (`items:`, `orderTotal:`); true when it asks neither. */
export function goodsMatch(rule: Pick<CompiledRule, 'items' | 'orderTotal'>, order: Pick<OrderView, 'items' | 'total'> | undefined): boolean {
  if (rule.items && !(order?.items.some((i) => rule.items!.some((w) => foldText(i.title).includes(w))))) return false;
  if (!rule.orderTotal) return true;
  const total = order?.total;
  return total !== undefined && (rule.orderTotal.atLeast === undefined || total >= rule.orderTotal.atLeast)
    && (rule.orderTotal.atMost === undefined || total <= rule.orderTotal.atMost);
}

/** Whether every condition of a rule holds (conditions staff did not write always hold). */
export function matches(rule: CompiledRule, ctx: MatchContext): boolean {
  const { input, state } = ctx;
  if (!rule.enabled || rule.waiting !== ctx.waiting) return false;
  const event = input.message.event;
  if (event === undefined) {
    if (rule.event !== 'message' && rule.event !== 'first_message') return false;
  } else if (rule.event !== event) return false;
  if (event === 'schedule' && rule.name !== input.scheduledRule) return false;
  if (rule.event === 'first_message' && !input.conversation.isNew) return false;
  if (rule.orderStates && !(input.order && rule.orderStates.has(input.order.state))) return false;
  if (rule.exceptions && !(input.order?.exception && rule.exceptions.has(input.order.exception.kind))) return false;
  if (rule.paidElsewhere !== undefined && (!input.order || (input.order.paidElsewhere ?? false) !== rule.paidElsewhere)) return false;
  if (rule.boughtAgain !== undefined && (!input.order || (input.order.boughtAgain ?? false) !== rule.boughtAgain)) return false;
  if (!goodsMatch(rule, input.order)) return false;
  if (rule.rating) {
    const stars = input.order?.review?.rating;
    if (stars === undefined || (rule.rating.atLeast !== undefined && stars < rule.rating.atLeast) || (rule.rating.atMost !== undefined && stars > rule.rating.atMost)) return false;
  }
  if (rule.reviewWindow) {
    // No order, no window either way: a message from a customer without orders is neither.
    if (!input.order) return false;
    const signed = input.order.signedAt;
    const open = signed !== null && input.now.getTime() < signed + REVIEW_WINDOW_MS;
    if ((rule.reviewWindow === 'open') !== open) return false;
  }
  if (rule.kinds && !rule.kinds.has(input.message.kind)) return false;
  if (rule.channels && !rule.channels.has(input.message.channel)) return false;
  if (rule.returning !== undefined && rule.returning !== ctx.returning) return false;
  if (rule.hours !== undefined && (rule.hours === 'open') !== ctx.open) return false;
  if (rule.tiers && !(input.customer.tier !== null && rule.tiers.has(input.customer.tier))) return false;
  if (rule.purchases) {
    const { atLeast, atMost, withinMs } = rule.purchases;
    const since = withinMs === undefined ? -Infinity : input.now.getTime() - withinMs;
    const count = (input.customer.purchasedAt ?? []).filter((t) => t >= since).length;
    if ((atLeast !== undefined && count < atLeast) || (atMost !== undefined && count > atMost)) return false;
  }
  if (rule.styles && !rule.styles.has(styleOf(input.message.text))) return false;
  if (!rule.tags.every((t) => ctx.tags.has(t)) || rule.notTags.some((t) => ctx.tags.has(t))) return false;
  for (const [k, v] of rule.slots) if ((state.slots[k] ?? null) !== v) return false;
  if (rule.expecting && !(ctx.expecting !== null && rule.expecting.has(ctx.expecting))) return false;
  if (rule.giftAvailable !== undefined && (availableGift(ctx) !== undefined) !== rule.giftAvailable) return false;
  if (rule.limit) {
    const f = state.fired[rule.name];
    const count = !f ? 0 : rule.limit.per === 'day' ? (f.day === ctx.today ? f.dayCount : 0) : f.count;
    if (count >= rule.limit.times) return false;
  }
  if (rule.cooldownMs !== undefined) {
    const f = state.fired[rule.name];
    if (f && input.now.getTime() - f.lastAt < rule.cooldownMs) return false;
  }
  if (rule.fired) {
    const { rules, withinMs } = rule.fired;
    const since = withinMs === undefined ? null : input.now.getTime() - withinMs;
    let count = 0;
    for (const name of rules) {
      const f = state.fired[name];
      if (f) count += since === null ? f.count : f.lastAt >= since ? 1 : 0;
    }
    if (rule.fired.lessThan !== undefined && count >= rule.fired.lessThan) return false;
    if (rule.fired.atLeast !== undefined && count < rule.fired.atLeast) return false;
  }
  if (rule.intents && !(ctx.understood.intent !== null && rule.intents.has(ctx.understood.intent))) return false;
  if (rule.bargainers && !(ctx.understood.type !== null && rule.bargainers.has(ctx.understood.type))) return false;
  if (!rule.keywords && rule.regex.length === 0) return true;
  const { text, folded } = ctx;
  if (text === null || folded === null) return false;
  if (rule.keywords !== undefined) {
    ctx.keywordRules.set ??= rulesWithKeywordsIn(input.playbook, text);
    if (keywordsMatch(rule, text, ctx.keywordRules.set)) return true;
  }
  return rule.regex.some((r) => r.test(folded));
}

export function recordFiring(state: ConversationState, rule: string, at: number, day: string): void {
  const prev = state.fired[rule];
  state.fired[rule] = {
    count: (prev?.count ?? 0) + 1,
    lastAt: at,
    day,
    dayCount: prev && prev.day === day ? prev.dayCount + 1 : 1,
  };
}
