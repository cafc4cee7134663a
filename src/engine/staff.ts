import type { Transaction } from 'kysely';
import type { ShopConfig } from '../config/schema.js';
import { lastInboundAt } from '../db/conversations.js';
import { lastReplyContext, releaseHandoff, setHandoff, STAFF_RULE } from '../db/desk.js';
import type { DeskConversation } from '../db/desk.js';
import { insertMessage } from '../db/messages.js';
import { enqueue, outboxKey } from '../db/outbox.js';
import type { Database } from '../db/schema.js';
import type { CompiledPlaybook } from '../playbook/compiled.js';
import type { Channel } from '../types/index.js';
import { queueKfEndSession } from './kf-servicer.js';
import { proactiveContext } from './proactive.js';

/**
 * WeCom and 微信客服 take at most 2,048 bytes of text (about 680 Chinese characters); the
 * strictest platform sets the desk's limit so a reply is never cut or refused after staff sent it.
 */
export const STAFF_MAX_TEXT_BYTES = 2048;

export interface StaffReply {
  shop: ShopConfig;
  playbook: CompiledPlaybook;
  conversation: DeskConversation;
  staff: string;
  text: string;
  at: number;
}

/**
 * A person's reply: stored as the conversation's next message (rule STAFF_RULE, their name as
 * the response) and queued in the outbox like any reply, to the chat or session the bot last
 * answered in. The conversation stays with the person (bot silent) for the playbook's
 * handoff.silenceMinutes from now, so the bot never talks over them.
 */
export async function queueStaffReply(trx: Transaction<Database>, r: StaffReply): Promise<{ messageId: number; outboxId: number }> {
  const { conversation: c } = r;
  const channel = c.channel as Channel;
  const messageId = await insertMessage(trx, {
    shopId: r.shop.id, channel, conversationId: c.id, direction: 'out', platformMessageId: null, deliveryId: null,
    kind: 'text', text: r.text, rule: STAFF_RULE, response: r.staff, raw: undefined, at: r.at,
  });
  const context = (await lastReplyContext(trx, c.id)) ?? proactiveContext(r.shop, channel);
  // Platform reply windows (微信客服: 48 h, 5 replies) count from the customer's latest message.
  const inbound = await lastInboundAt(trx, c.id);
  const outboxId = await enqueue(trx, messageId, {
    shopId: r.shop.id, channel, customerId: c.customer.userId, conversationKey: c.key, text: r.text,
    rule: STAFF_RULE, response: r.staff, proactive: false, idempotencyKey: outboxKey(`staff\0${messageId}`, r.at),
    replyContext: { ...context, ...(inbound !== null ? { inboundAt: inbound } : {}) },
  }, r.at);
  await setHandoff(trx, c.id, r.at + r.playbook.settings.handoff.silenceMinutes * 60_000, r.at, r.staff);
  return { messageId, outboxId };
}

/**
 * Staff give a conversation back to the bot (the desk's 交还机器人, `xiaoer handoff release`):
 * the bot answers it again, and on 微信客服 a session a 接待人员 still holds is ended, or the
 * bot's replies would be refused there until it runs out. Undefined when there is no such
 * conversation.
 */
export async function releaseToBot(
  trx: Transaction<Database>, shopId: string, key: string, staff: string, at: number,
): Promise<{ endsKfSession: boolean } | undefined> {
  const released = await releaseHandoff(trx, shopId, key, at);
  if (!released) return undefined;
  if (released.channel !== 'wecomKf') return { endsKfSession: false };
  await queueKfEndSession(trx, { shopId, conversationId: released.id, key, customerUserId: released.userId }, staff, at);
  return { endsKfSession: true };
}
