import { createHash } from 'node:crypto';
import type { Transaction } from 'kysely';
import { openConversation, saveConversationState } from '../db/conversations.js';
import { touchCustomer } from '../db/customers.js';
import { insertMessage, isDuplicateInbound } from '../db/messages.js';
import { enqueue } from '../db/outbox.js';
import type { Database } from '../db/schema.js';
import type { CompiledPlaybook } from '../playbook/compiled.js';
import type { InboundMessage } from '../types/index.js';
import { decide } from './decide.js';
import type { DecideInput, PlannedReply } from './decide.js';

export interface IngestResult {
  duplicate: boolean;
  replies: PlannedReply[];
}

export interface IngestDeps {
  shop: DecideInput['shop'];
  playbook: CompiledPlaybook;
  random: () => number;
}

/**
 * One inbound message, as one unit of a write transaction: record the customer and the
 * message, decide the replies, and put them in the outbox — all or nothing, so an ack
 * given after the commit means nothing can be lost.
 */
export async function ingest(trx: Transaction<Database>, msg: InboundMessage, deps: IngestDeps): Promise<IngestResult> {
  if (await isDuplicateInbound(trx, msg.shopId, msg.channel, msg.platformMessageId, msg.deliveryId)) {
    return { duplicate: true, replies: [] };
  }
  const at = msg.receivedAt.getTime();
  const customer = await touchCustomer(trx, {
    shopId: msg.shopId, channel: msg.channel, platformUserId: msg.customerId, name: msg.customerName, at,
  });
  const conversation = await openConversation(trx, { shopId: msg.shopId, customerId: customer.id, key: msg.conversationKey, at });
  await insertMessage(trx, {
    shopId: msg.shopId, channel: msg.channel, conversationId: conversation.id, direction: 'in',
    platformMessageId: msg.platformMessageId, deliveryId: msg.deliveryId, kind: msg.kind, text: msg.text,
    rule: null, response: null, raw: msg.raw, at,
  });

  const decision = decide({
    shop: deps.shop, playbook: deps.playbook, message: { text: msg.text, kind: msg.kind },
    customer: { name: customer.name, firstSeenAt: customer.firstSeenAt }, state: conversation.state,
    now: msg.receivedAt, random: deps.random,
  });

  for (const [i, reply] of decision.replies.entries()) {
    const messageId = await insertMessage(trx, {
      shopId: msg.shopId, channel: msg.channel, conversationId: conversation.id, direction: 'out',
      platformMessageId: null, deliveryId: null, kind: 'text', text: reply.text, rule: reply.rule,
      response: reply.response, raw: undefined, at,
    });
    await enqueue(trx, messageId, {
      shopId: msg.shopId, channel: msg.channel, customerId: msg.customerId, conversationKey: msg.conversationKey,
      text: reply.text, rule: reply.rule, response: reply.response, proactive: false,
      idempotencyKey: replyKey(msg, i), replyContext: msg.replyContext,
    }, at);
  }
  await saveConversationState(trx, conversation.id, decision.state, decision.fired.at(-1) ?? null, at);
  return { duplicate: false, replies: decision.replies };
}

/** Deterministic per (inbound message, reply index); 32 hex chars fits Feishu's 50-char uuid. */
export function replyKey(msg: InboundMessage, index: number): string {
  return createHash('sha256').update(`${msg.shopId}\0${msg.channel}\0${msg.platformMessageId}\0${index}`).digest('hex').slice(0, 32);
}
