import type { Transaction } from 'kysely';
import type { ShopConfig } from '../config/schema.js';
import type { Conversation } from '../db/conversations.js';
import { lastInboundAt } from '../db/conversations.js';
import type { Customer } from '../db/customers.js';
import { insertJob } from '../db/jobs.js';
import { insertMessage } from '../db/messages.js';
import { countProactiveForCustomer, countProactiveForOrder, enqueue, outboxKey } from '../db/outbox.js';
import type { Database } from '../db/schema.js';
import { adapterForChannel } from '../../adapters/index.js';
import type { Channel } from '../types/index.js';
import type { PlannedReply } from './decide.js';
import { isWithinHours, localDayStart, localTime, nextStartOf } from './time.js';

export type Gate = { kind: 'send' } | { kind: 'defer'; until: number; reason: string } | { kind: 'skip'; reason: string };

/** A message a rule chose that did not go out now: skipped (and why), or deferred until a time. */
export interface HeldReply {
  rule: string;
  reason: string;
  /** Deferred: when it goes out (ms); absent when skipped. */
  until?: number;
}

/**
 * May a message the customer did not ask for go out now? Opt-out (marketing always; care if the
 * shop says so), quiet hours (wait for their end), and the daily and per-order caps, counted
 * across all message types (domain.md §11: floods of notifications get shops blocked).
 */
export async function gate(
  trx: Transaction<Database>, shop: ShopConfig, customer: Customer, orderId: string | null, category: 'care' | 'marketing', now: number,
): Promise<Gate> {
  const r = shop.respect;
  if (customer.optedOutAt !== null && (category === 'marketing' || r.optOutStopsCare)) {
    return { kind: 'skip', reason: `customer opted out (退订) of ${category} messages` };
  }
  const local = localTime(now, shop.timezone);
  if (isWithinHours(local.minutes, r.quietHours.from, r.quietHours.to)) {
    // Quiet hours end where the hours outside them begin.
    const until = nextStartOf(now, local, r.quietHours.to, r.quietHours.from);
    return { kind: 'defer', until, reason: `quiet hours ${r.quietHours.from}–${r.quietHours.to}` };
  }
  const dayStart = localDayStart(now, local);
  const today = await countProactiveForCustomer(trx, shop.id, customer.channel, customer.platformUserId, dayStart);
  if (today >= r.maxProactivePerDay) return { kind: 'skip', reason: `daily cap: ${r.maxProactivePerDay} proactive messages per customer per day` };
  if (orderId !== null && (await countProactiveForOrder(trx, shop.id, orderId)) >= r.maxProactivePerOrder) {
    return { kind: 'skip', reason: `order cap: ${r.maxProactivePerOrder} proactive messages per order` };
  }
  return { kind: 'send' };
}

export interface ProactiveTarget {
  shop: ShopConfig;
  customer: Customer;
  conversation: Conversation;
  orderId: string | null;
  /** Makes every outbox key and job derived from this decision deterministic (event id, job id). */
  keyBase: string;
}

/** A message deferred past quiet hours that still has not gone out this long after they end is stale. */
export const DEFERRED_STALE_AFTER_MS = 2 * 3_600_000;

/**
 * Gates each reply, then queues it, defers it to a job, or records it as skipped — never drops
 * silently. `alreadyGated` is for a deferred message whose job just passed the gate; `held`
 * collects the replies that did not go out now, for whoever sent the event to hear why.
 * `expects`: what a rule's reply asks the customer for (its `expect`), kept with a deferred
 * message so the question is awaited once it is sent, not while it waits for the morning.
 */
export async function deliverProactive(
  trx: Transaction<Database>, t: ProactiveTarget, replies: readonly PlannedReply[], now: number, alreadyGated = false, held?: HeldReply[],
  expects?: ReadonlyMap<string, string>,
): Promise<number[]> {
  const queued: number[] = [];
  const channel = t.customer.channel as Channel;
  // Only 微信客服 limits messages by the customer's last one (48 h window); skip the lookup elsewhere.
  const windowMs = adapterForChannel(channel)?.limits?.windowMs;
  const inbound = windowMs !== undefined ? await lastInboundAt(trx, t.conversation.id) : null;
  for (const [i, reply] of replies.entries()) {
    // A message the platform will refuse is held back now, with the reason, not queued to fail.
    const closed = windowMs !== undefined && (inbound === null || now - inbound > windowMs)
      ? { kind: 'skip' as const, reason: outsideWindow(windowMs) } : null;
    const decision: Gate = closed ?? (alreadyGated ? { kind: 'send' } : await gate(trx, t.shop, t.customer, t.orderId, reply.category, now));
    const key = `${t.keyBase}:${i}`;
    const job = {
      shopId: t.shop.id, kind: 'message' as const, rule: reply.rule, category: reply.category, customerChannel: channel,
      customerUserId: t.customer.platformUserId, orderId: t.orderId,
      payload: { text: reply.text, response: reply.response, ...(expects?.has(reply.rule) ? { expect: expects.get(reply.rule) } : {}) },
      notAfter: null,
    };
    if (decision.kind === 'skip') {
      await insertJob(trx, { ...job, dueAt: now, state: 'skipped', reason: decision.reason, dedupKey: `${key}:skipped` }, now);
      held?.push({ rule: reply.rule, reason: decision.reason });
      continue;
    }
    if (decision.kind === 'defer') {
      await insertJob(trx, { ...job, dueAt: decision.until, notAfter: decision.until + DEFERRED_STALE_AFTER_MS, reason: decision.reason, dedupKey: `${key}:deferred` }, now);
      held?.push({ rule: reply.rule, reason: decision.reason, until: decision.until });
      continue;
    }
    const messageId = await insertMessage(trx, {
      shopId: t.shop.id, channel, conversationId: t.conversation.id, direction: 'out', platformMessageId: null, deliveryId: null,
      kind: 'text', text: reply.text, rule: reply.rule, response: reply.response, raw: undefined, at: now,
    });
    queued.push(await enqueue(trx, messageId, {
      shopId: t.shop.id, channel, customerId: t.customer.platformUserId, conversationKey: t.conversation.key, text: reply.text,
      rule: reply.rule, response: reply.response, proactive: true, orderId: t.orderId ?? undefined,
      idempotencyKey: outboxKey(key, now),
      replyContext: { ...proactiveContext(t.shop, channel), ...(inbound !== null ? { inboundAt: inbound } : {}) },
    }, now));
  }
  return queued;
}

/** Why a message to a customer who last wrote too long ago is not sent (the words the send-time check uses too). */
export function outsideWindow(windowMs: number): string {
  return `outside the platform's ${Math.round(windowMs / 3_600_000)} h reply window`;
}

/** What a proactive send needs to know about where to send (no chat or session to answer in). */
export function proactiveContext(shop: ShopConfig, channel: Channel): Record<string, unknown> {
  if (channel === 'wecomKf' && shop.channels.wecomKf) return { openKfId: shop.channels.wecomKf.openKfId };
  return {};
}
