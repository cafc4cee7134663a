import type { ConversationState } from '../db/conversations.js';
import type { CompiledPlaybook, CompiledRule } from '../playbook/compiled.js';
import { foldText } from '../playbook/compiled.js';
import type { MessageKind } from '../types/index.js';
import { render } from './template.js';
import type { TemplateVars } from './template.js';
import { isWithinHours, localTime } from './time.js';

/** Everything the engine needs to choose; it reads no database and no clock of its own. */
export interface DecideInput {
  shop: { id: string; name: string; timezone: string; businessHours: { from: string; to: string } };
  playbook: CompiledPlaybook;
  message: { text: string | null; kind: MessageKind };
  customer: { name: string | null; firstSeenAt: number };
  state: ConversationState;
  now: Date;
  /** Returns a float in [0, 1); injectable so tests are repeatable. */
  random: () => number;
}

export interface PlannedReply {
  text: string;
  rule: string;
  response: string;
  variation: number;
}

export interface Decision {
  replies: PlannedReply[];
  state: ConversationState;
  fired: string[];
}

/** The rule name stamped on replies chosen by the fallback. */
export const FALLBACK_RULE = '(fallback)';

export function decide(input: DecideInput): Decision {
  const { shop, playbook, now } = input;
  const local = localTime(now, shop.timezone);
  const firstDay = localTime(input.customer.firstSeenAt, shop.timezone).day;
  const ctx: MatchContext = {
    text: input.message.text === null ? null : foldText(input.message.text),
    kind: input.message.kind,
    returning: firstDay !== local.day,
    open: isWithinHours(local.minutes, shop.businessHours.from, shop.businessHours.to),
    today: local.day,
    state: input.state,
  };
  const vars: TemplateVars = {
    'shop.name': shop.name, 'shop.id': shop.id,
    'shop.hours.from': shop.businessHours.from, 'shop.hours.to': shop.businessHours.to,
    'customer.name': input.customer.name,
  };
  const state = structuredClone(input.state);
  const replies: PlannedReply[] = [];
  const fired: string[] = [];

  for (const rule of playbook.rules) {
    if (!matches(rule, ctx)) continue;
    fired.push(rule.name);
    recordFiring(state, rule.name, now.getTime(), local.day);
    for (const action of rule.actions) pushReply(replies, state, playbook, action.reply, rule.name, vars, input.random);
    if (!rule.continue) break;
  }
  if (fired.length === 0 && playbook.fallback) {
    fired.push(FALLBACK_RULE);
    pushReply(replies, state, playbook, playbook.fallback.reply, FALLBACK_RULE, vars, input.random);
  }
  return { replies, state, fired };
}

interface MatchContext {
  text: string | null;
  kind: MessageKind;
  returning: boolean;
  open: boolean;
  today: string;
  state: ConversationState;
}

function matches(rule: CompiledRule, ctx: MatchContext): boolean {
  if (rule.kinds ? !rule.kinds.has(ctx.kind) : false) return false;
  if (rule.returning !== undefined && rule.returning !== ctx.returning) return false;
  if (rule.hours !== undefined && (rule.hours === 'open') !== ctx.open) return false;
  if (rule.limit) {
    const f = ctx.state.fired[rule.name];
    const count = !f ? 0 : rule.limit.per === 'day' ? (f.day === ctx.today ? f.dayCount : 0) : f.count;
    if (count >= rule.limit.times) return false;
  }
  const wantsText = rule.keywords.length > 0 || rule.regex.length > 0;
  if (!wantsText) return true;
  const text = ctx.text;
  if (text === null) return false;
  return rule.keywords.some((k) => text.includes(k)) || rule.regex.some((r) => r.test(text));
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

/**
 * Picks a variation the customer did not see last time, among those whose variables all have
 * values. If none renders, the reply is dropped rather than showing a broken text.
 */
function pushReply(
  out: PlannedReply[], state: ConversationState, playbook: CompiledPlaybook,
  responseName: string, rule: string, vars: TemplateVars, random: () => number,
): void {
  const response = playbook.responses.get(responseName);
  if (!response) return;
  const rendered = response.variations
    .map((t, i) => ({ i, text: render(t, vars) }))
    .filter((v): v is { i: number; text: string } => v.text !== null);
  if (rendered.length === 0) return;
  const last = state.lastVariation[responseName];
  const fresh = rendered.length > 1 ? rendered.filter((v) => v.i !== last) : rendered;
  const pick = fresh[Math.min(fresh.length - 1, Math.floor(random() * fresh.length))]!;
  state.lastVariation[responseName] = pick.i;
  out.push({ text: pick.text, rule, response: responseName, variation: pick.i });
}
