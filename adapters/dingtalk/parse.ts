import { z } from 'zod';
import { RequestError } from '../../src/errors.js';
import type { InboundMessage, MessageKind } from '../../src/types/index.js';
import type { MediaRef, Parsed } from '../types.js';
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
  /** richText: { richText: [{ text } | { type: 'picture', downloadCode, … }] } — text and pictures in one message. */
  content: z.unknown().optional(),
  sessionWebhook: z.string().optional(),
  sessionWebhookExpiredTime: z.number().optional(),
});

const KINDS: Record<string, MessageKind> = { text: 'text', picture: 'image', file: 'file', audio: 'other', video: 'other' };

export function parseDingtalk(payload: unknown, ctx: { shopId: string; cfg: DingtalkConfig; now: Date }): Parsed {
  const parsed = robotMessage.safeParse(payload);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new RequestError(400, `robot message: ${issue.path.join('.')}: ${issue.message}`);
  }
  const m = parsed.data;
  const sender = m.senderStaffId ?? m.senderId;
  if (!sender) throw new RequestError(400, 'robot message without senderStaffId or senderId');
  const rich = m.msgtype === 'richText' ? richTextOf(m.content) : null;
  const kind = rich ? rich.kind : KINDS[m.msgtype] ?? 'other';
  const message: InboundMessage = {
    shopId: ctx.shopId,
    channel: 'dingtalk',
    platformMessageId: m.msgId,
    deliveryId: null,
    customerId: sender,
    customerName: m.senderNick ?? null,
    conversationKey: `dingtalk:${m.conversationId}:${sender}`,
    text: rich ? rich.text : kind === 'text' ? (m.text?.content ?? '').trim() : null,
    kind,
    receivedAt: ctx.now,
    replyContext: {
      // Where the robot's own API sends once the session webhook has expired (a group's openConversationId is its conversationId).
      ...(m.conversationType === '2' ? { openConversationId: m.conversationId } : {}),
      ...(m.sessionWebhook ? { sessionWebhook: m.sessionWebhook, sessionWebhookExpiredTime: m.sessionWebhookExpiredTime ?? 0 } : {}),
      ...(m.conversationType === '2' && m.senderStaffId ? { atStaffId: m.senderStaffId } : {}),
    },
    raw: payload,
  };
  return { kind: 'messages', messages: [message] };
}

/**
 * A message of text and pictures together (richText): the words in order, pictures left out;
 * only pictures make it an image message. Read defensively: the parts vary by client version.
 * https://open.dingtalk.com/document/orgapp/receive-message
 */
function richTextOf(content: unknown): { kind: MessageKind; text: string | null } {
  const parts = (content as { richText?: unknown } | null)?.richText;
  if (!Array.isArray(parts)) return { kind: 'other', text: null };
  let text = '';
  let pictures = false;
  for (const part of parts as { text?: unknown; type?: unknown; downloadCode?: unknown }[]) {
    if (typeof part?.text === 'string') text += part.text;
    else if (part?.type === 'picture' || part?.downloadCode !== undefined) pictures = true;
  }
  text = text.replace(/\s+/g, ' ').trim();
  if (text) return { kind: 'text', text };
  return { kind: pictures ? 'image' : 'other', text: null };
}

/** Robot message types whose content carries a downloadCode, and how the desk shows each. */
const DINGTALK_MEDIA_TYPES: Record<string, MediaRef['kind']> = { picture: 'image', file: 'file', audio: 'file', video: 'file' };

/**
 * The pictures and files of a stored robot message: a picture, file, voice note or video by its
 * content.downloadCode, and the pictures of a richText. Never throws.
 * https://open.dingtalk.com/document/orgapp/receive-message
 */
export function dingtalkMediaOf(raw: unknown): MediaRef[] {
  const m = (raw ?? {}) as { msgtype?: unknown; content?: { downloadCode?: unknown; fileName?: unknown; richText?: unknown } | null };
  const str = (v: unknown) => (typeof v === 'string' && v ? v : null);
  const kind = DINGTALK_MEDIA_TYPES[String(m.msgtype)];
  if (kind && str(m.content?.downloadCode)) {
    return [{ kind, key: str(m.content!.downloadCode)!, ...(str(m.content!.fileName) ? { name: str(m.content!.fileName)! } : {}) }];
  }
  if (m.msgtype !== 'richText' || !Array.isArray(m.content?.richText)) return [];
  return (m.content.richText as { type?: unknown; downloadCode?: unknown }[])
    .filter((p) => p?.type === 'picture' && str(p.downloadCode))
    .map((p) => ({ kind: 'image' as const, key: str(p.downloadCode)! }));
}
