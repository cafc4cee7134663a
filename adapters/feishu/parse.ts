import { z } from 'zod';
import { RequestError } from '../../src/errors.js';
import type { InboundMessage, MessageKind } from '../../src/types/index.js';
import type { MediaRef, Parsed } from '../types.js';
import type { FeishuConfig } from './config.js';

// https://open.feishu.cn/document/server-docs/im-v1/message/events/receive
const receiveSchema = z.object({
  schema: z.literal('2.0'),
  header: z.object({ event_id: z.string().min(1), event_type: z.string(), create_time: z.string().optional() }),
  event: z.object({
    sender: z.object({
      sender_id: z.object({ open_id: z.string().min(1) }),
      sender_type: z.string(),
    }),
    message: z.object({
      message_id: z.string().min(1),
      chat_id: z.string().min(1),
      chat_type: z.string(),
      message_type: z.string(),
      content: z.string(),
      mentions: z.array(z.object({ key: z.string() })).optional(),
    }),
  }),
});

const KINDS: Record<string, MessageKind> = { text: 'text', image: 'image', file: 'file', audio: 'other', media: 'other', sticker: 'image' };

export function parseFeishu(payload: unknown, ctx: { shopId: string; cfg: FeishuConfig; now: Date }): Parsed {
  const p = payload as Record<string, unknown>;
  if (p.type === 'url_verification') {
    if (typeof p.challenge !== 'string') throw new RequestError(400, 'url_verification without challenge');
    return { kind: 'challenge', response: { status: 200, body: { challenge: p.challenge } } };
  }
  const header = p.header as Record<string, unknown> | undefined;
  if (p.schema !== '2.0' || !header) {
    return { kind: 'ignored', reason: 'not a schema 2.0 event (enable 2.0 in the Feishu console)' };
  }
  if (header.event_type !== 'im.message.receive_v1') return { kind: 'ignored', reason: `event ${String(header.event_type)} is not handled` };

  const parsed = receiveSchema.safeParse(payload);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new RequestError(400, `im.message.receive_v1: ${issue.path.join('.')}: ${issue.message}`);
  }
  const { header: h, event } = parsed.data;
  // Bot and app messages are not customer input: automation never triggers automation.
  if (event.sender.sender_type !== 'user') return { kind: 'ignored', reason: 'sender is not a user' };
  const m = event.message;
  if (m.chat_type === 'group' && !(m.mentions?.length)) return { kind: 'ignored', reason: 'group message without @-mention' };

  // Rich text (post) is what Feishu sends when a customer writes more than one line or pastes.
  const post = m.message_type === 'post' ? postOf(m.content) : null;
  const kind = post ? post.kind : KINDS[m.message_type] ?? 'other';
  const text = post ? post.text : kind === 'text' ? textOf(m.content, m.mentions ?? []) : null;
  const customerId = event.sender.sender_id.open_id;
  const message: InboundMessage = {
    shopId: ctx.shopId,
    channel: 'feishu',
    platformMessageId: m.message_id,
    deliveryId: h.event_id,
    customerId,
    customerName: null,
    conversationKey: `feishu:${m.chat_id}:${customerId}`,
    text,
    kind,
    receivedAt: ctx.now,
    replyContext: { chatId: m.chat_id, chatType: m.chat_type },
    raw: payload,
  };
  return { kind: 'messages', messages: [message] };
}

/** `event.message.content` is itself a JSON string, whatever the message type. */
function contentJson(content: string): unknown {
  try {
    return JSON.parse(content);
  } catch {
    throw new RequestError(400, 'im.message.receive_v1: event.message.content is not JSON');
  }
}

/** Mention placeholders (@_user_1) are removed from what the customer said. */
function textOf(content: string, mentions: { key: string }[]): string {
  const text = (contentJson(content) as { text?: unknown } | null)?.text;
  if (typeof text !== 'string') throw new RequestError(400, 'im.message.receive_v1: content.text is not a string');
  let out = text;
  for (const m of mentions) out = out.split(m.key).join('');
  return out.replace(/\s+/g, ' ').trim();
}

type PostElement = { tag?: unknown; text?: unknown };
type PostBody = { title?: unknown; content?: unknown };
/** Elements whose text is not what the customer wrote: @-mentions (of the bot, in a group). */
const POST_SKIPPED_TAGS = new Set(['at']);

/**
 * A rich-text message's words: the title and each paragraph's text and link elements, in order;
 * @-mentions, images and emoji left out. A post of only pictures is an image message.
 * Received posts carry { title, content: [[element…]…] }; a locale wrapper ({ zh_cn: … }, the
 * shape posts are sent in) is accepted too.
 * https://open.feishu.cn/document/uAjLw4CM/ukTMukTMukTM/im-v1/message/events/message_content
 */
function postOf(content: string): { kind: MessageKind; text: string | null } {
  const obj = (contentJson(content) ?? {}) as Record<string, unknown>;
  const body = (Array.isArray(obj.content) ? obj : Object.values(obj).find((v) => Array.isArray((v as PostBody | null)?.content)) ?? {}) as PostBody;
  const paragraphs = Array.isArray(body.content) ? body.content : [];
  let pictures = false;
  const lines = [typeof body.title === 'string' ? body.title : ''];
  for (const paragraph of paragraphs) {
    if (!Array.isArray(paragraph)) continue;
    let line = '';
    for (const el of paragraph as PostElement[]) {
      if (el?.tag === 'img' || el?.tag === 'media') pictures = true;
      if (typeof el?.text === 'string' && !POST_SKIPPED_TAGS.has(String(el.tag))) line += el.text;
    }
    lines.push(line);
  }
  const text = lines.join(' ').replace(/\s+/g, ' ').trim();
  if (text) return { kind: 'text', text };
  return { kind: pictures ? 'image' : 'other', text: null };
}

type Keyed = { tag?: unknown; image_key?: unknown; file_key?: unknown; file_name?: unknown };

/**
 * The pictures and files of a stored receive_v1 payload: an image, a file (audio and video are
 * files too), and the pictures inside a post. Stickers cannot be fetched (the API does not hand
 * them out). Never throws: the raw payload may be anything an older version stored.
 * https://open.feishu.cn/document/uAjLw4CM/ukTMukTMukTM/im-v1/message/events/message_content
 */
export function feishuMediaOf(raw: unknown): MediaRef[] {
  const m = (raw as { event?: { message?: { message_id?: unknown; message_type?: unknown; content?: unknown } } } | null)?.event?.message;
  if (typeof m?.message_id !== 'string' || typeof m.content !== 'string') return [];
  const messageId = m.message_id;
  let content: Keyed & Record<string, unknown>;
  try {
    content = (JSON.parse(m.content) ?? {}) as typeof content;
  } catch {
    return [];
  }
  const str = (v: unknown) => (typeof v === 'string' && v ? v : null);
  if (m.message_type === 'image' && str(content.image_key)) return [{ kind: 'image', key: str(content.image_key)!, messageId }];
  if (['file', 'audio', 'media'].includes(String(m.message_type)) && str(content.file_key)) {
    return [{ kind: 'file', key: str(content.file_key)!, messageId, ...(str(content.file_name) ? { name: str(content.file_name)! } : {}) }];
  }
  if (m.message_type !== 'post') return [];
  const body = (Array.isArray(content.content) ? content : Object.values(content).find((v) => Array.isArray((v as PostBody | null)?.content)) ?? {}) as PostBody;
  const out: MediaRef[] = [];
  for (const paragraph of Array.isArray(body.content) ? body.content : []) {
    for (const el of Array.isArray(paragraph) ? paragraph as Keyed[] : []) {
      if (el?.tag === 'img' && str(el.image_key)) out.push({ kind: 'image', key: str(el.image_key)!, messageId });
      else if (el?.tag === 'media' && str(el.file_key)) out.push({ kind: 'file', key: str(el.file_key)!, messageId });
    }
  }
  return out;
}
