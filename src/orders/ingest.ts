import type { Transaction } from 'kysely';
import type { ShopConfig } from '../config/schema.js';
import { insertAlert } from '../db/alerts.js';
import { conversationForCustomer, saveConversationState } from '../db/conversations.js';
import { ensureCustomer, setTier, updateTags } from '../db/customers.js';
import { cancelJobs, insertJob } from '../db/jobs.js';
import { getOrder, orderEventSeen, paidAnotherSince, recordOrderEvent, saveOrder } from '../db/orders.js';
import { boughtAgainSince, purchaseTimes } from '../db/purchases.js';
import type { OrderRow } from '../db/orders.js';
import type { Database } from '../db/schema.js';
import { withTags } from '../engine/actions.js';
import { decide } from '../engine/decide.js';
import type { Decision } from '../engine/decide.js';
import { deliverProactive } from '../engine/proactive.js';
import type { HeldReply } from '../engine/proactive.js';
import { orderView } from './in-view.js';
import type { CompiledPlaybook } from '../playbook/compiled.js';
import type { Channel } from '../types/index.js';
import { doesNotFit, stateAfter } from './event.js';
import type { OrderEvent } from './event.js';

/** `held`: the messages the rules chose that did not go out now (a cap, quiet hours, an opt-out), and why. */
export type OrderOutcome = { status: 'duplicate' } | { status: 'ignored'; reason: string } | { status: 'applied'; fired: string[]; outboxIds: number[]; held: HeldReply[] };

/**
 * Records one order event, once (its id is the idempotency key), and moves the order forward
 * (never back), keeping details earlier events gave and this one leaves out. Shared by the API
 * and `xiaoer orders import`, so a backfilled order is the order the API would have built.
 */
export async function applyOrderEvent(
  trx: Transaction<Database>, shopId: string, e: OrderEvent, now: number,
): Promise<{ status: 'duplicate' } | { status: 'ignored'; reason: string } | { status: 'applied'; order: OrderRow }> {
  if (await orderEventSeen(trx, shopId, e.id)) return { status: 'duplicate' };
  const before = await getOrder(trx, shopId, e.order.id);
  const base = { shopId, eventId: e.id, orderId: e.order.id, type: e.type, occurredAt: Date.parse(e.occurredAt), at: now };
  const misfit = doesNotFit(before?.state, e.type);
  if (misfit) {
    await recordOrderEvent(trx, { ...base, outcome: 'ignored', reason: misfit });
    return { status: 'ignored', reason: misfit };
  }
  const o = e.order;
  const order: OrderRow = {
    shopId, orderId: o.id, state: stateAfter(before?.state, e.type), customerChannel: o.customer.channel, customerUserId: o.customer.userId,
    data: {
      total: o.total, items: o.items, courier: o.courier ?? before?.data.courier, trackingNo: o.trackingNo ?? before?.data.trackingNo,
      review: o.review ?? before?.data.review, customerName: o.customer.name ?? before?.data.customerName,
      exception: o.exception ?? before?.data.exception,
      shipTo: o.shipTo ?? before?.data.shipTo,
      refund: e.type === 'order.refund_requested' ? { reason: o.refund?.reason ?? null, at: Date.parse(e.occurredAt) } : before?.data.refund,
      closesAt: o.closesAt ? Date.parse(o.closesAt) : before?.data.closesAt,
    },
    signedAt: e.type === 'order.signed' ? Date.parse(e.occurredAt) : before?.signedAt ?? null,
  };
  await saveOrder(trx, order, now);
  if (o.customer.tier) {
    // The member system is the source of tiers: an event that names one updates the customer (imports too).
    const customer = await ensureCustomer(trx, { shopId, channel: o.customer.channel, platformUserId: o.customer.userId, name: o.customer.name ?? null, at: now });
    if (customer.tier !== o.customer.tier) await setTier(trx, customer.id, o.customer.tier, Date.parse(e.occurredAt)); // imports: when it happened
  }
  await recordOrderEvent(trx, { ...base, outcome: 'applied', reason: null });
  return { status: 'applied', order };
}

/**
 * One order event, in one transaction: applied (above), then the shop's order rules run, their
 * messages gated and queued, follow-ups scheduled or cancelled.
 */
export async function ingestOrderEvent(
  trx: Transaction<Database>, shop: ShopConfig, playbook: CompiledPlaybook, e: OrderEvent, now: number, random: () => number,
): Promise<OrderOutcome> {
  const applied = await applyOrderEvent(trx, shop.id, e, now);
  if (applied.status !== 'applied') return applied;
  const r = await runProactive(trx, shop, playbook, forOrder(applied.order), { event: e.type }, `evt:${shop.id}:${e.id}`, now, random);
  return { status: 'applied', fired: r.fired, outboxIds: r.queued, held: r.held };
}

/** Who a proactive decision is about: a customer, and the order when there is one. */
export interface ProactiveSubject {
  channel: string;
  userId: string;
  name: string | null;
  order: OrderRow | null;
}

export function forOrder(order: OrderRow): ProactiveSubject {
  return { channel: order.customerChannel, userId: order.customerUserId, name: order.data.customerName ?? null, order };
}

/** Runs the rules for an order event or a due follow-up (with or without an order), and applies what they decided. */
export async function runProactive(
  trx: Transaction<Database>, shop: ShopConfig, playbook: CompiledPlaybook, subject: ProactiveSubject,
  trigger: { event: string; rule?: string }, keyBase: string, now: number, random: () => number,
): Promise<{ fired: string[]; queued: number[]; held: HeldReply[]; decision: Decision }> {
  const order = subject.order;
  const customer = await ensureCustomer(trx, { shopId: shop.id, channel: subject.channel, platformUserId: subject.userId, name: subject.name, at: now });
  const conversation = await conversationForCustomer(trx, { shopId: shop.id, customerId: customer.id, channel: subject.channel, userId: subject.userId, at: now });
  // A review's words are what `keywords:` / `intent:` read on order.reviewed (domain.md §11: care by review keyword).
  const said = trigger.event === 'order.reviewed' ? order?.data.review?.text ?? null : null;
  const d = decide({
    shop, playbook, message: { text: said, kind: 'event', channel: subject.channel as Channel, event: trigger.event },
    ...(trigger.rule ? { scheduledRule: trigger.rule } : {}),
    // "Paid another one since" is looked up only for an unpaid order, and only when a rule for this event asks.
    ...(order ? {
      order: {
        ...orderView(order),
        paidElsewhere: order.state === 'created' && asks(playbook, trigger, 'paidElsewhere') && await paidAnotherSince(trx, order),
        boughtAgain: asks(playbook, trigger, 'boughtAgain') && await boughtAgainSince(trx, order, shop.products),
      },
    } : {}),
    customer: {
      name: customer.name, firstSeenAt: Math.min(customer.firstSeenAt, now - 86_400_000), tags: customer.tags, tier: customer.tier,
      ...(asks(playbook, trigger, 'purchases') ? { purchasedAt: await purchaseTimes(trx, shop.id, subject.channel, subject.userId) } : {}),
    },
    conversation: { isNew: false }, state: conversation.state, now: new Date(now), random,
  });
  const orderId = order?.orderId ?? null;
  if (orderId) await cancelJobs(trx, shop.id, orderId, d.cancels.rules, d.cancels.marketing, `cancelled by ${d.fired.join(', ')}`, now);
  for (const s of d.schedules) {
    await insertJob(trx, {
      shopId: shop.id, kind: 'rule', rule: s.rule, category: s.category, customerChannel: subject.channel,
      customerUserId: subject.userId, orderId, dueAt: s.dueAt, notAfter: s.notAfter, dedupKey: `${keyBase}:schedule:${s.rule}`,
    }, now);
  }
  if (d.tags.add.length || d.tags.remove.length) {
    await updateTags(trx, customer.id, withTags(customer.tags, d.tags));
  }
  const held: HeldReply[] = [];
  const expects = expectsOf(playbook, d.fired);
  const queued = await deliverProactive(trx, { shop, customer, conversation, orderId, keyBase }, d.replies, now, false, held, expects);
  // A question held back (quiet hours, a cap) is not awaited yet: the customer has not seen it.
  // A deferred one is awaited from when it is sent (the job carries it); a skipped one never.
  if ([...expects.keys()].some((rule) => held.some((h) => h.rule === rule))) {
    if (conversation.state.expecting === undefined) delete d.state.expecting;
    else d.state.expecting = conversation.state.expecting;
  }
  if (d.handoff || d.alerts.length) {
    const who = `${customer.name ?? subject.userId}（${subject.channel}）`;
    const review = order?.data.review;
    const about = order ? `订单 ${order.orderId} 的顾客` : '顾客';
    const common = { shopId: shop.id, conversationKey: conversation.key, customerId: subject.userId, at: now,
      transcript: review?.text ? [{ who: 'customer' as const, text: `${review.rating}★ ${review.text}` }] : [] };
    if (d.handoff) {
      await insertAlert(trx, { ...common, kind: review && review.rating <= 2 ? 'bad_review' : 'handoff', rule: d.handoff.rule,
        text: `${review && review.rating <= 2 && order ? `差评：顾客 ${who} 给订单 ${order.orderId} 打了 ${review.rating} 星` : `转人工：${about} ${who}`}（${d.handoff.reason}）。请尽快联系顾客了解原因、安抚并跟进处理；机器人已在该会话静默。` });
    }
    for (const a of d.alerts) await insertAlert(trx, { ...common, kind: 'rule', rule: a.rule, text: `${a.text}（${about} ${who}）` });
  }
  await saveConversationState(trx, conversation.id, d.state, d.fired.at(-1) ?? null, now, d.handoff ? now : undefined);
  return { fired: d.fired, queued, held, decision: d };
}

/** What each fired rule's reply asks the customer for (its `expect` action), by rule. */
function expectsOf(playbook: CompiledPlaybook, fired: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const name of fired) {
    const asked = playbook.rules.find((r) => r.name === name)?.actions.find((a) => 'expect' in a);
    if (asked && 'expect' in asked) out.set(name, asked.expect);
  }
  return out;
}

/** Whether a rule for this event (the follow-up's own rule when one came due) has the condition: each is a query, made only when asked. */
function asks(playbook: CompiledPlaybook, trigger: { event: string; rule?: string }, condition: 'paidElsewhere' | 'boughtAgain' | 'purchases'): boolean {
  return playbook.rules.some((r) => r.enabled && r[condition] !== undefined && r.event === trigger.event && (trigger.rule === undefined || r.name === trigger.rule));
}
