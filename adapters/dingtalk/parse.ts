import { z } from 'zod';
import { RequestError } from '../../src/errors.js';
import type { InboundMessage, MessageKind } from '../../src/types/index.js';
import type { Parsed } from '../types.js';
import type { DingtalkConfig } from './config.js';

// https://open.dingtalk.com/document/orgapp/receive-message
const robotMessage = z.object({
  msgtype: z.string(),
  msgId: z.string().min(1),
  conversationId: z.string().min(1),
  conversationType: z.string().optional(),
  senderId: z.string().optional(),
  senderStaffId: z.string().optional(),
  senderNick: z.string().optional(),
  text: z.object({ content: z.string() }).optional(),
  sessionWebhook: z.string().optional(),
  sessionWebhookExpiredTime: z.number().optional(),
});

const KINDS: Record<string, MessageKind> = { text: 'text', picture: 'image', file: 'file', richText: 'other', audio: 'other', video: 'other' };

export function parseDingtalk(payload: unknown, ctx: { shopId: string; cfg: DingtalkConfig; now: Date }): Parsed {
  const parsed = robotMessage.safeParse(payload);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new RequestError(400, `robot message: ${issue.path.join('.')}: ${issue.message}`);
  }
  const m = parsed.data;
  const sender = m.senderStaffId ?? m.senderId;
  if (!sender) throw new RequestError(400, 'robot message without senderStaffId or senderId');
  const kind = KINDS[m.msgtype] ?? 'other';
  const message: InboundMessage = {
    shopId: ctx.shopId,
    channel: 'dingtalk',
    platformMessageId: m.msgId,
    deliveryId: null,
    customerId: sender,
    customerName: m.senderNick ?? null,
    conversationKey: `dingtalk:${m.conversationId}:${sender}`,
    text: kind === 'text' ? (m.text?.content ?? '').trim() : null,
    kind,
    receivedAt: ctx.now,
    replyContext: {
      ...(m.sessionWebhook ? { sessionWebhook: m.sessionWebhook, sessionWebhookExpiredTime: m.sessionWebhookExpiredTime ?? 0 } : {}),
      ...(m.conversationType === '2' && m.senderStaffId ? { atStaffId: m.senderStaffId } : {}),
    },
    raw: payload,
  };
  return { kind: 'messages', messages: [message] };
}
