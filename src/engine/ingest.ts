import type { Transaction } from 'kysely';
import { insertAlert } from '../db/alerts.js';
import { conversationByKey, directKey, openConversation, saveConversationState } from '../db/conversations.js';
import { setOptOut, touchCustomer, updateTags } from '../db/customers.js';
import { alertTranscript, insertMessage, isDuplicateInbound } from '../db/messages.js';
import { enqueue, outboxKey } from '../db/outbox.js';
import type { Database } from '../db/schema.js';
import type { ShopConfig } from '../config/schema.js';
import { KF_SESSION_MAX_MS, kfHandoffTransfer, kfTransferNote, queueKfTransfer } from './kf-servicer.js';
import type { CompiledPlaybook } from '../playbook/compiled.js';
import { messagesReadPurchases, orderInView } from '../orders/in-view.js';
import { purchaseTimes } from '../db/purchases.js';
import type { InboundMessage } from '../types/index.js';
import { withTags } from './actions.js';
import { decide, FALLBACK_RULE } from './decide.js';
import type { DecideInput, PlannedReply } from './decide.js';
import type { Understood } from './understand.js';
import { NOTHING } from './understand.js';

export interface IngestResult {
  duplicate: boolean;
  replies: PlannedReply[];
  understood: Understood;
  /** A person has this conversation: the message was stored and the bot stayed silent. */
  silenced: boolean;
  /** A person has this conversation but has not answered yet: the shop's waiting rules ran. */
  waiting: boolean;
  handoff: { rule: string; reason: string } | null;
  /** The outbox rows queued for the replies. */
  outboxIds: number[];
}

export interface IngestDeps {
  /** `desk`: where the handoff alert sends staff to reply (the staff desk when the shop has one). */
  shop: DecideInput['shop'] & { desk?: object; channels?: ShopConfig['channels'] };
  playbook: CompiledPlaybook;
  random: () => number;
}

/**
 * One inbound message, as one unit of a write transaction: record the customer and the
 * message, decide, and queue the replies and alerts — all or nothing, so an ack given after
 * the commit means nothing can be lost.
 */
export async function ingest(trx: Transaction<Database>, msg: InboundMessage, deps: IngestDeps): Promise<IngestResult> {
  if (await isDuplicateInbound(trx, msg.shopId, msg.channel, msg.platformMessageId, msg.deliveryId)) {
    return { duplicate: true, replies: [], understood: NOTHING, silenced: false, waiting: false, handoff: null, outboxIds: [] };
  }
  const at = msg.receivedAt.getTime();
  const customer = await touchCustomer(trx, {
    shopId: msg.shopId, channel: msg.channel, platformUserId: msg.customerId, name: msg.customerName, at,
  });
  let conversation = await openConversation(trx, { shopId: msg.shopId, customerId: customer.id, key: msg.conversationKey, at });
  if (conversation.isNew) {
    // Their first message after the shop wrote first (order care, a revisit): the chat goes on
    // where those messages left it — the question they asked (expect), the rules already fired.
    const direct = await conversationByKey(trx, msg.shopId, directKey(msg.channel, msg.customerId));
    // A person handling it there (a bad review handed over) has this chat too: it is listed at the desk the same way.
    if (direct && direct.customerId === customer.id) conversation = { ...conversation, state: direct.state, handoffUntil: direct.handoffUntil, handedOffAt: direct.handedOffAt };
  }
  // A chat opening reads no order; a message may (查物流 answered from the order itself).
  const order = msg.event ? undefined : await orderInView(trx, deps.playbook, msg);
  const purchasedAt = messagesReadPurchases(deps.playbook) ? await purchaseTimes(trx, msg.shopId, msg.channel, msg.customerId) : undefined;
  // 微信客服 shops whose staff answer in the WeCom client: the session goes to them after the handoff reply.
  const inClient = kfHandoffTransfer(deps.shop.channels, msg.channel);
  const d = decide({
    shop: deps.shop, playbook: deps.playbook, ...(order ? { order } : {}),
    message: { text: msg.text, kind: msg.kind, channel: msg.channel, ...(msg.event ? { event: msg.event } : {}) },
    customer: { name: customer.name, firstSeenAt: customer.firstSeenAt, tags: customer.tags, tier: customer.tier, ...(purchasedAt ? { purchasedAt } : {}) },
    conversation: { isNew: conversation.isNew }, state: conversation.state, now: msg.receivedAt, random: deps.random,
    servedInClient: inClient !== null,
  });
  // Stored after deciding (nothing above reads it) so the row says what the bot made of it: a
  // guess only when the bot answered on it (not while a person has the chat).
  const { intent, resembled } = d.understood;
  const guessed = intent !== null && resembled !== undefined && d.replies.some((r) => r.rule !== FALLBACK_RULE) && !d.silenced && !d.waiting;
  await insertMessage(trx, {
    shopId: msg.shopId, channel: msg.channel, conversationId: conversation.id, direction: 'in',
    platformMessageId: msg.platformMessageId, deliveryId: msg.deliveryId, kind: msg.kind, text: msg.text,
    rule: null, response: null, raw: msg.raw, at,
    guess: guessed ? { intent, score: Math.round(resembled * 100) / 100 } : null,
  });

  const outboxIds: number[] = [];
  for (const [i, reply] of d.replies.entries()) {
    const messageId = await insertMessage(trx, {
      shopId: msg.shopId, channel: msg.channel, conversationId: conversation.id, direction: 'out',
      platformMessageId: null, deliveryId: null, kind: 'text', text: reply.text, rule: reply.rule,
      response: reply.response, raw: undefined, at,
    });
    outboxIds.push(await enqueue(trx, messageId, {
      shopId: msg.shopId, channel: msg.channel, customerId: msg.customerId, conversationKey: msg.conversationKey,
      text: reply.text, rule: reply.rule, response: reply.response, proactive: false,
      idempotencyKey: replyKey(msg, i), replyContext: { inboundAt: at, ...msg.replyContext },
    }, at));
  }
  const transfer = d.handoff ? inClient : null;
  if (transfer) {
    outboxIds.push(await queueKfTransfer(trx, msg, conversation.id, d.handoff!.rule, transfer, replyKey(msg, d.replies.length)));
    // Once transferred the API may not answer in the session at all: silent until it ends (at most its 48 h), not just silenceMinutes.
    d.state.handoffUntil = at + KF_SESSION_MAX_MS;
  }
  if (d.optOut) await setOptOut(trx, customer.id, d.optOut === 'out' ? at : null);
  if (d.tags.add.length || d.tags.remove.length) {
    await updateTags(trx, customer.id, withTags(customer.tags, d.tags));
  }
  if (d.handoff || d.alerts.length) {
    const transcript = await alertTranscript(trx, conversation.id);
    const who = `${customer.name ?? msg.customerId}（${msg.channel}）`;
    const base = { shopId: msg.shopId, conversationKey: msg.conversationKey, customerId: msg.customerId, transcript, at };
    if (d.handoff) {
      await insertAlert(trx, {
        ...base, kind: 'handoff', rule: d.handoff.rule,
        text: transfer
          ? `转人工：顾客 ${who} 需要人工接待（${d.handoff.reason}）。${kfTransferNote(transfer)}，请在企业微信客户端接入回复；机器人已在此会话静默。`
          : deps.shop.desk
          ? `转人工：顾客 ${who} 需要人工接待（${d.handoff.reason}）。请尽快在接待台 /desk/${msg.shopId} 回复；机器人已在此会话静默，处理完点“交还机器人”。`
          : `转人工：顾客 ${who} 需要人工接待（${d.handoff.reason}）。请尽快在${msg.channel}回复；机器人已在此会话静默，处理完可运行 xiaoer handoff release --shop ${msg.shopId} "${msg.conversationKey}"。`,
      });
    }
    for (const a of d.alerts) await insertAlert(trx, { ...base, kind: 'rule', rule: a.rule, text: `${a.text}（顾客 ${who}）` });
  }
  const lastRule = d.fired.at(-1) ?? null;
  await saveConversationState(trx, conversation.id, d.state, lastRule, at, d.handoff ? at : conversation.isNew && conversation.handedOffAt !== null ? conversation.handedOffAt : undefined);
  return { duplicate: false, replies: d.replies, understood: d.understood, silenced: d.silenced, waiting: d.waiting, handoff: d.handoff, outboxIds };
}

/** Per (inbound message, reply index); 32 chars fit every platform's message id field. */
export function replyKey(msg: InboundMessage, index: number): string {
  return outboxKey(`${msg.shopId}\0${msg.channel}\0${msg.platformMessageId}\0${index}`, msg.receivedAt.getTime());
}
