import type { Transaction } from 'kysely';
import { KF_REPLY_WINDOW_MS } from '../../adapters/wecom-kf/config.js';
import type { KfServicerAction } from '../../adapters/wecom-kf/parse.js';
import type { ShopConfig } from '../config/schema.js';
import { conversationByKey, openConversation } from '../db/conversations.js';
import { findCustomer, touchCustomer } from '../db/customers.js';
import { lastReplyContext, setHandoff, STAFF_RULE } from '../db/desk.js';
import { insertMessage, isDuplicateInbound } from '../db/messages.js';
import { enqueue, outboxKey } from '../db/outbox.js';
import type { Database } from '../db/schema.js';
import type { CompiledPlaybook } from '../playbook/compiled.js';
import type { InboundMessage } from '../types/index.js';

/**
 * A 微信客服 session lasts 48 hours from the customer's message unless someone ends it
 * (developer.work.weixin.qq.com/document/path/94669): a person who took one holds it no longer,
 * even if the "ended" event never reaches us.
 */
export const KF_SESSION_MAX_MS = KF_REPLY_WINDOW_MS;
/** Shown at the desk and in transcripts when the platform did not say which 接待人员 it was. */
export const KF_SERVICER_UNNAMED = '微信客服接待人员';

export type ServicerOutcome = 'recorded' | 'duplicate' | 'released' | 'nothing to release';

/**
 * What a 接待人员 did in the WeCom client, applied to the conversation, so the bot stays silent
 * while a person serves the customer and answers again once the session ended:
 * - reply: stored as the person's message (rule STAFF_RULE, their userid as the response, the
 *   platform msgid for dedup); the bot stays silent for the playbook's handoff.silenceMinutes
 *   from it, or longer if a person already holds the session;
 * - took (from the pool, by transfer, or an ended session taken up again): silent until the
 *   session can last no longer (48 h) or ends;
 * - ended: the bot has the conversation again.
 */
export async function applyServicerAction(
  trx: Transaction<Database>, shop: ShopConfig, playbook: CompiledPlaybook, a: KfServicerAction, now: number,
): Promise<ServicerOutcome> {
  // Counted from when it happened, never from a later pull (and never from a clock ahead of ours).
  const at = Math.min(a.sentAt ?? now, now);
  if (a.kind === 'reply' && await isDuplicateInbound(trx, shop.id, 'wecomKf', a.msgid, null)) return 'duplicate';
  const customer = await findCustomer(trx, shop.id, 'wecomKf', a.customerId)
    ?? await touchCustomer(trx, { shopId: shop.id, channel: 'wecomKf', platformUserId: a.customerId, name: null, at });
  const conversation = await openConversation(trx, { shopId: shop.id, customerId: customer.id, key: a.conversationKey, at });
  const held = conversation.handoffUntil !== null && conversation.handoffUntil > at;
  if (a.kind === 'ended') {
    if (!held) return 'nothing to release';
    await setHandoff(trx, conversation.id, null, at);
    return 'released';
  }
  const staff = a.servicer ?? KF_SERVICER_UNNAMED;
  if (a.kind === 'took') {
    await setHandoff(trx, conversation.id, at + KF_SESSION_MAX_MS, at, staff);
    return 'recorded';
  }
  await insertMessage(trx, {
    shopId: shop.id, channel: 'wecomKf', conversationId: conversation.id, direction: 'out', platformMessageId: a.msgid,
    deliveryId: null, kind: a.kindOfMessage, text: a.text, rule: STAFF_RULE, response: staff, raw: a.raw, at,
  });
  const silence = at + playbook.settings.handoff.silenceMinutes * 60_000;
  await setHandoff(trx, conversation.id, Math.max(silence, held ? conversation.handoffUntil! : 0), at, staff);
  return 'recorded';
}

export interface KfTransfer {
  /** A named 接待人员, or null for the account's 待接入池. */
  servicer: string | null;
}

/** The 微信客服 transfer a bot handoff asks for: none unless the shop set channels.wecomKf.handoffTo to pool or a person. */
export function kfHandoffTransfer(channels: ShopConfig['channels'] | undefined, channel: string): KfTransfer | null {
  const to = channel === 'wecomKf' ? channels?.wecomKf?.handoffTo : undefined;
  if (to === undefined || to === 'desk') return null;
  return { servicer: to === 'pool' ? null : to.servicer };
}

/** How the transfer reads in the transcript and the staff alert. */
export function kfTransferNote(t: KfTransfer): string {
  return t.servicer ? `已转给微信客服接待人员 ${t.servicer}` : '已转入微信客服待接入池';
}

/**
 * Queues the transfer in the outbox behind the handoff reply (the conversation's rows go in
 * order, and once the session is with people the API may not reply in it). It is stored as an
 * event in the transcript, so staff see when the customer was passed on.
 */
export async function queueKfTransfer(
  trx: Transaction<Database>, msg: InboundMessage, conversationId: number, rule: string, t: KfTransfer, idempotencyKey: string,
): Promise<number> {
  const at = msg.receivedAt.getTime();
  const text = kfTransferNote(t);
  const messageId = await insertMessage(trx, {
    shopId: msg.shopId, channel: msg.channel, conversationId, direction: 'out', platformMessageId: null, deliveryId: null,
    kind: 'event', text, rule, response: null, raw: undefined, at,
  });
  return enqueue(trx, messageId, {
    shopId: msg.shopId, channel: msg.channel, customerId: msg.customerId, conversationKey: msg.conversationKey, text, rule,
    response: '', proactive: false, idempotencyKey,
    replyContext: { inboundAt: at, ...msg.replyContext }, action: { kind: 'kfTransfer', servicer: t.servicer },
  }, at);
}

/** How giving a 微信客服 conversation back to the bot reads in the transcript. */
export const KF_END_SESSION_NOTE = '交还机器人：如有接待人员在接待，结束其微信客服会话';

/**
 * Staff gave a 微信客服 conversation back to the bot. While a 接待人员 holds the platform's
 * session the API may not reply in it (95018), so the giving back also ends that session —
 * queued in the conversation's order, like a transfer, and shown in the transcript as a note.
 * The outbox reads the session's state first and leaves alone one the API already has.
 */
export async function queueKfEndSession(
  trx: Transaction<Database>, c: { shopId: string; conversationId: number; key: string; customerUserId: string }, staff: string, at: number,
): Promise<number> {
  const messageId = await insertMessage(trx, {
    shopId: c.shopId, channel: 'wecomKf', conversationId: c.conversationId, direction: 'out', platformMessageId: null, deliveryId: null,
    kind: 'event', text: KF_END_SESSION_NOTE, rule: STAFF_RULE, response: staff, raw: undefined, at,
  });
  const context = await lastReplyContext(trx, c.conversationId);
  return enqueue(trx, messageId, {
    shopId: c.shopId, channel: 'wecomKf', customerId: c.customerUserId, conversationKey: c.key, text: KF_END_SESSION_NOTE,
    rule: STAFF_RULE, response: staff, proactive: false, idempotencyKey: outboxKey(`end\0${messageId}`, at),
    replyContext: context ?? {}, action: { kind: 'kfEndSession' },
  }, at);
}

/**
 * 微信客服 refused a reply because a person holds the session (95018) — typically an account
 * that gives new sessions to its 接待人员 before the API, which emits no event we could have
 * seen. The bot goes quiet in the conversation until the session can last no longer, so the
 * customer's next messages do not each end in another refused reply and another alert.
 */
export async function holdForPerson(trx: Transaction<Database>, shopId: string, conversationKey: string, at: number): Promise<void> {
  const c = await conversationByKey(trx, shopId, conversationKey);
  if (!c || (c.handoffUntil !== null && c.handoffUntil > at)) return;
  await setHandoff(trx, c.id, at + KF_SESSION_MAX_MS, at, KF_SERVICER_UNNAMED);
}

/**
 * A transfer the platform refused leaves the session with the API: nobody in the WeCom client
 * will pick the customer up by themselves, but staff can answer from the desk. So the bot's
 * silence goes back from the session's 48 hours to an ordinary handoff's (`until`).
 */
export async function afterFailedTransfer(trx: Transaction<Database>, shopId: string, conversationKey: string, until: number, at: number): Promise<void> {
  const c = await conversationByKey(trx, shopId, conversationKey);
  if (!c || c.handoffUntil === null || c.handoffUntil <= until) return;
  await setHandoff(trx, c.id, until, at);
}
