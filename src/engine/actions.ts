import type { ConversationState } from '../db/conversations.js';
import { endHandoff } from '../db/conversations.js';
import type { CompiledPlaybook, CompiledRule } from '../playbook/compiled.js';
import { durationMs } from '../playbook/compiled.js';
import type { Decision, OrderView } from './decide.js';
import { availableGift, goodsMatch, matches, recordFiring } from './match.js';
import type { MatchContext } from './match.js';
import { firstUsedUp } from './products.js';
import type { ProductCycle } from './products.js';
import { parseTemplate, render } from './template.js';
import type { Template, TemplateVars } from './template.js';
import { addMinutesWithin, hhmmToMinutes, localDayStart, localTime } from './time.js';

/** Fires matching rules in order; true when a rule that stops the search (an answer) fired. */
export function runRules(d: Decision, ctx: MatchContext, vars: Record<string, string | null>, only?: (rule: CompiledRule) => boolean): boolean {
  const { playbook, now, random } = ctx.input;
  for (const rule of playbook.rules) {
    if ((only && !only(rule)) || !matches(rule, ctx)) continue;
    d.fired.push(rule.name);
    recordFiring(ctx.state, rule.name, now.getTime(), ctx.today);
    for (const action of rule.actions) {
      if ('reply' in action) pushReply(d, playbook, action.reply, rule, { ...vars, ...slotVars(ctx.state) }, random);
      else if ('set' in action) for (const [k, v] of Object.entries(action.set)) ctx.state.slots[k] = String(v);
      else if ('clear' in action) for (const k of action.clear) delete ctx.state.slots[k];
      else if ('expect' in action) ctx.state.expecting = action.expect;
      else if ('tag' in action) for (const t of action.tag) addTag(d, ctx, t);
      else if ('untag' in action) for (const t of action.untag) removeTag(d, ctx, t);
      else if ('handoff' in action) {
        const reason = action.handoff === true ? ASKED_REASON : action.handoff.reason;
        startHandoff(d, ctx, rule.name, render(parseAlert(reason), { ...vars, ...slotVars(ctx.state) }) ?? reason);
      }
      else if ('release' in action) endHandoff(ctx.state);
      else if ('alert' in action) d.alerts.push({ rule: rule.name, text: render(parseAlert(action.alert), { ...vars, ...slotVars(ctx.state) }) ?? action.alert });
      else if ('schedule' in action) planFollowUp(d, ctx, action.schedule);
      else if ('cancel' in action) {
        for (const name of action.cancel) {
          if (name === 'marketing') d.cancels.marketing = true;
          else d.cancels.rules.push(name);
        }
      } else if ('optOut' in action) d.optOut = 'out';
      else if ('optIn' in action) d.optOut = 'in';
      else if ('silent' in action) continue; // answered by saying nothing
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

/** A customer's tags after a decision's tag and untag actions. */
export function withTags(tags: readonly string[], change: Decision['tags']): string[] {
  return [...tags.filter((t) => !change.remove.includes(t)), ...change.add];
}

/** The reason recorded when a rule hands off without giving one (`handoff: true`: the customer asked). */
export const ASKED_REASON = '顾客要求人工';

/**
 * The bot goes quiet for the playbook's silenceMinutes of business hours: handed over at night,
 * they run from the opening (the customer was told a person answers once staff are online, so
 * the chat must still be on the desk's waiting list then, not back with the bot at 01:30); handed
 * over just before closing, what is left runs on after the next opening.
 */
export function startHandoff(d: Decision, ctx: MatchContext, rule: string, reason: string): void {
  const { shop, playbook, now } = ctx.input;
  const { from, to } = shop.businessHours;
  ctx.state.handoffUntil = addMinutesWithin(now.getTime(), shop.timezone, from, to, playbook.settings.handoff.silenceMinutes);
  delete ctx.state.handoffBy; // the bot handed it over: no one at the desk has it yet
  ctx.state.handoffReason = reason;
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


function slotVars(state: ConversationState): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(state.slots)) out[`slots.${k}`] = v;
  return out;
}
/** Alert texts and handoff reasons (staff read both) are few and fixed per playbook: parse each once. */
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
export function pushReply(
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

export function orderVars(order: OrderView | undefined, products: readonly ProductCycle[] = []): Record<string, string | null> {
  if (!order) return {};
  return {
    'order.id': order.id, 'order.total': order.total.toFixed(2),
    'order.items': order.items.map((i) => (i.qty > 1 ? `${i.title}×${i.qty}` : i.title)).join('、'),
    // What runs out first (the repurchase reminder's subject); every item when none is listed.
    'order.runningOut': (firstUsedUp(order.items, products)?.titles ?? order.items.map((i) => i.title)).join('、'),
    'order.courier': order.courier ?? null, 'order.trackingNo': order.trackingNo ?? null,
    'order.review': order.review?.text ?? null, 'order.exceptionNote': order.exception?.note ?? null,
    'order.refundReason': order.refundReason ?? null,
  };
}

/**
 * When a follow-up comes due: `after` from now, or the next `at` time of day in the shop's
 * zone (`days` later). Shop zones here have no DST, so a day is 24 hours. `beforeClose` caps it
 * at that long before the order closes unpaid (a flash sale closing in 30 minutes is reminded
 * within 25, domain.md §11); given alone, it is the time. No plan when that time has passed.
 * `beforeUsedUp` (domain.md §9): that long before the order's first listed product runs out
 * (the shop's `products:` cycles); `after` is then only for orders with no listed product.
 */
function planFollowUp(
  d: Decision, ctx: MatchContext, spec: { rule: string; after?: string; at?: string; days?: number; beforeClose?: string; beforeUsedUp?: string },
): void {
  const target = ctx.input.playbook.rules.find((r) => r.name === spec.rule);
  // A follow-up for goods this order does not have would only come due to do nothing (使用说明).
  if (!target || !target.enabled || (ctx.input.order && !goodsMatch(target, ctx.input.order))) return;
  const now = ctx.input.now.getTime();
  let due = Infinity;
  const usedUp = spec.beforeUsedUp && ctx.input.order ? firstUsedUp(ctx.input.order.items, ctx.input.shop.products ?? []) : undefined;
  if (usedUp) {
    // Counted from now (the sign-for, when 签收关怀 plans it): the product is in use from then.
    due = now + usedUp.ms - durationMs(spec.beforeUsedUp!);
    if (due <= now) return; // it lasts less than the lead: nothing to remind before
  } else if (spec.after) due = now + durationMs(spec.after);
  else if (spec.at) {
    const midnight = localDayStart(now, localTime(now, ctx.input.shop.timezone));
    due = midnight + (spec.days ?? 0) * 86_400_000 + hhmmToMinutes(spec.at) * 60_000;
    if (due <= now) due += 86_400_000;
  }
  const closesAt = ctx.input.order?.closesAt;
  if (spec.beforeClose && closesAt !== undefined) {
    due = Math.min(due, closesAt - durationMs(spec.beforeClose));
    if (due <= now) return; // the order closes too soon for this one
  }
  if (!Number.isFinite(due)) return; // beforeClose alone, and the order system gave no closing time
  d.schedules.push({ rule: target.name, dueAt: due, notAfter: target.staleAfterMs === undefined ? null : due + target.staleAfterMs, category: target.category });
}

