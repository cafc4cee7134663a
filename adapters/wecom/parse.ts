import { RequestError } from '../../src/errors.js';
import type { InboundMessage, MessageKind } from '../../src/types/index.js';
import type { MediaRef, Parsed } from '../types.js';
import type { WecomConfig } from './config.js';

const KINDS: Record<string, MessageKind> = { text: 'text', image: 'image', file: 'file', voice: 'other', video: 'other', location: 'other', link: 'other' };

/**
 * A decrypted callback (flat XML fields). Text and other messages become one InboundMessage;
 * 微信客服's kf_msg_or_event only says messages are waiting, so it becomes a pull.
 * https://developer.work.weixin.qq.com/document/path/90239
 */
export function parseWecom(payload: unknown, ctx: { shopId: string; cfg: WecomConfig; now: Date }): Parsed {
  const x = payload as Record<string, string>;
  if (x.MsgType === 'event') {
    if (x.Event === 'kf_msg_or_event') {
      if (!x.Token || !x.OpenKfId) throw new RequestError(400, 'kf_msg_or_event without Token or OpenKfId');
      return { kind: 'pull', account: x.OpenKfId, token: x.Token };
    }
    return { kind: 'ignored', reason: `event ${x.Event ?? '?'} is not handled` };
  }
  if (!x.MsgType || !x.FromUserName || !x.MsgId) throw new RequestError(400, 'message without MsgType, FromUserName or MsgId');
  const kind = KINDS[x.MsgType] ?? 'other';
  const text = kind === 'text' ? (x.Content ?? '').trim() : null;
  const message: InboundMessage = {
    shopId: ctx.shopId,
    channel: 'wecom',
    platformMessageId: x.MsgId,
    deliveryId: null,
    customerId: x.FromUserName,
    customerName: null,
    conversationKey: `wecom:${x.AgentID ?? ctx.cfg.agentId}:${x.FromUserName}`,
    text,
    kind,
    receivedAt: ctx.now,
    replyContext: {},
    raw: payload,
  };
  return { kind: 'messages', messages: [message] };
}

/** Callback message types whose MediaId names a file (a picture, a voice note, a video). */
const MEDIA_TYPES: Record<string, MediaRef['kind']> = { image: 'image', voice: 'file', video: 'file' };

/** The picture or file of a stored app callback (MediaId; PicUrl is not used: it is not the app's to hand out). Never throws. */
export function wecomMediaOf(raw: unknown): MediaRef[] {
  const x = (raw ?? {}) as Record<string, unknown>;
  const kind = MEDIA_TYPES[String(x.MsgType)];
  return kind && typeof x.MediaId === 'string' && x.MediaId ? [{ kind, key: x.MediaId }] : [];
}
