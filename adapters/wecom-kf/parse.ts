import type { InboundMessage, MessageKind } from '../../src/types/index.js';
import type { MediaRef } from '../types.js';

/** One item of sync_msg's msg_list. https://developer.work.weixin.qq.com/document/path/94670 */
export interface KfItem {
  msgid?: string;
  open_kfid?: string;
  external_userid?: string;
  send_time?: number;
  origin?: number;
  /** Who wrote it, when origin is 5 (a 接待人员 in the WeCom client). */
  servicer_userid?: string;
  msgtype?: string;
  text?: { content?: string };
  /** Pictures, files, voice notes and videos name their media by media_id (fetched with media/get). */
  image?: { media_id?: string };
  file?: { media_id?: string };
  event?: {
    event_type?: string; open_kfid?: string; external_userid?: string; welcome_code?: string;
    /** session_status_change: 1 taken from the pool, 2 transferred, 3 ended, 4 an ended session taken up again. */
    change_type?: number; old_servicer_userid?: string; new_servicer_userid?: string;
    /** msg_send_fail: the msgid of a message the API took but could not deliver, and why. */
    fail_msgid?: string; fail_type?: number;
  };
}

/** origin 3 = the customer wrote it; 4 = system event; 5 = a servicer (staff) wrote it. */
const ORIGIN_CUSTOMER = 3;
const ORIGIN_SERVICER = 5;
/** session_status_change's change_type that ends the session; 1, 2 and 4 put a person on it. */
const SESSION_ENDED = 3;
const KINDS: Record<string, MessageKind> = { text: 'text', image: 'image', file: 'file' };

/** One conversation per customer per 客服账号: the customer's messages and the 接待人员's share it. */
function kfConversationKey(openKfId: string, externalUserId: string): string {
  return `wecomKf:${openKfId}:${externalUserId}`;
}

/** Customer messages and enter_session events become InboundMessages; everything else is skipped. */
export function kfItemToInbound(item: KfItem, shopId: string, now: Date): InboundMessage | null {
  if (!item.msgid) return null;
  if (item.msgtype === 'event' && item.event?.event_type === 'enter_session') {
    const userId = item.event.external_userid ?? item.external_userid;
    const kfId = item.event.open_kfid ?? item.open_kfid;
    if (!userId || !kfId) return null;
    return {
      shopId, channel: 'wecomKf', platformMessageId: item.msgid, deliveryId: null, customerId: userId, customerName: null,
      conversationKey: kfConversationKey(kfId, userId), text: null, kind: 'event', event: 'session_start', receivedAt: now,
      replyContext: { openKfId: kfId, ...(item.event.welcome_code ? { welcomeCode: item.event.welcome_code, welcomeAt: now.getTime() } : {}) },
      raw: item,
    };
  }
  if (item.origin !== ORIGIN_CUSTOMER || !item.external_userid || !item.open_kfid || !item.msgtype) return null;
  const kind = KINDS[item.msgtype] ?? 'other';
  return {
    shopId, channel: 'wecomKf', platformMessageId: item.msgid, deliveryId: null, customerId: item.external_userid,
    customerName: null, conversationKey: kfConversationKey(item.open_kfid, item.external_userid),
    text: kind === 'text' ? (item.text?.content ?? '').trim() : null, kind, receivedAt: now,
    replyContext: { openKfId: item.open_kfid, inboundAt: (item.send_time ?? Math.floor(now.getTime() / 1000)) * 1000 },
    raw: item,
  };
}

/**
 * What a 接待人员 did in the WeCom client, read from the same sync_msg stream. The bot must
 * know: while a person serves a session (人工接待) the API may not reply in it (errcode
 * 95018), and the customer should never hear the bot talk over a person.
 * https://developer.work.weixin.qq.com/document/path/94670 (origin 5, session_status_change)
 */
export type KfServicerAction = {
  kind: 'reply' | 'took' | 'ended';
  msgid: string;
  customerId: string;
  conversationKey: string;
  /** The 接待人员's userid, when the platform says. */
  servicer: string | null;
  /** reply: what they wrote (null for an image, file, …). */
  text: string | null;
  kindOfMessage: MessageKind;
  /** When it happened on the platform (epoch ms), if it says: a late pull must not stretch a person's time. */
  sentAt: number | null;
  raw: KfItem;
};

export function kfItemToServicerAction(item: KfItem): KfServicerAction | null {
  if (!item.msgid) return null;
  if (item.msgtype === 'event') {
    const e = item.event;
    if (e?.event_type !== 'session_status_change' || e.change_type === undefined) return null;
    const userId = e.external_userid ?? item.external_userid;
    const kfId = e.open_kfid ?? item.open_kfid;
    if (!userId || !kfId) return null;
    const ended = e.change_type === SESSION_ENDED;
    return {
      kind: ended ? 'ended' : 'took', msgid: item.msgid, customerId: userId, conversationKey: kfConversationKey(kfId, userId),
      servicer: (ended ? e.old_servicer_userid : e.new_servicer_userid) || null, text: null, kindOfMessage: 'event', sentAt: sentAtOf(item), raw: item,
    };
  }
  if (item.origin !== ORIGIN_SERVICER || !item.external_userid || !item.open_kfid || !item.msgtype) return null;
  const kind = KINDS[item.msgtype] ?? 'other';
  return {
    kind: 'reply', msgid: item.msgid, customerId: item.external_userid, conversationKey: kfConversationKey(item.open_kfid, item.external_userid),
    servicer: item.servicer_userid || null, text: kind === 'text' ? (item.text?.content ?? '').trim() : null, kindOfMessage: kind, sentAt: sentAtOf(item), raw: item,
  };
}

function sentAtOf(item: KfItem): number | null {
  return typeof item.send_time === 'number' ? item.send_time * 1000 : null;
}

/** msg_send_fail's fail_type values (https://developer.work.weixin.qq.com/document/path/94670). */
const FAIL_TYPES: Record<number, string> = {
  0: '未知原因', 1: '客服账号已删除', 2: '应用已关闭', 4: '会话已过期，超过48小时', 5: '会话已关闭', 6: '超过5条限制', 10: '用户拒收',
};

/** A reply the API accepted (errcode 0) that 微信客服 later could not deliver: fail_msgid is our send's msgid. */
export interface KfSendFailure {
  msgid: string;
  reason: string;
}

export function kfItemToSendFailure(item: KfItem): KfSendFailure | null {
  const e = item.event;
  if (item.msgtype !== 'event' || e?.event_type !== 'msg_send_fail' || !e.fail_msgid) return null;
  const type = e.fail_type ?? 0;
  return { msgid: e.fail_msgid, reason: `微信客服 could not deliver it after accepting it (msg_send_fail, fail_type ${type}: ${FAIL_TYPES[type] ?? '见企业微信文档'})` };
}

/** sync_msg item types that carry a media_id, and how the desk shows each. */
const KF_MEDIA_TYPES: Record<string, MediaRef['kind']> = { image: 'image', file: 'file', voice: 'file', video: 'file' };

/** The picture or file of a stored sync_msg item ({ msgtype: 'image', image: { media_id } } …). Never throws. */
export function kfMediaOf(raw: unknown): MediaRef[] {
  const item = (raw ?? {}) as Record<string, unknown>;
  const kind = KF_MEDIA_TYPES[String(item.msgtype)];
  const id = kind ? (item[String(item.msgtype)] as { media_id?: unknown } | null)?.media_id : undefined;
  return kind && typeof id === 'string' && id ? [{ kind, key: id }] : [];
}
