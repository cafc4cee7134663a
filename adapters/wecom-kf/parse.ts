import type { InboundMessage, MessageKind } from '../../src/types/index.js';

/** One item of sync_msg's msg_list. https://developer.work.weixin.qq.com/document/path/94670 */
export interface KfItem {
  msgid?: string;
  open_kfid?: string;
  external_userid?: string;
  send_time?: number;
  origin?: number;
  msgtype?: string;
  text?: { content?: string };
  event?: { event_type?: string; open_kfid?: string; external_userid?: string; welcome_code?: string };
}

/** origin 3 = the customer wrote it; 4 = system event; 5 = a servicer (staff) wrote it. */
const ORIGIN_CUSTOMER = 3;
const KINDS: Record<string, MessageKind> = { text: 'text', image: 'image', file: 'file' };

/** Customer messages and enter_session events become InboundMessages; everything else is skipped. */
export function kfItemToInbound(item: KfItem, shopId: string, now: Date): InboundMessage | null {
  if (!item.msgid) return null;
  if (item.msgtype === 'event' && item.event?.event_type === 'enter_session') {
    const userId = item.event.external_userid ?? item.external_userid;
    const kfId = item.event.open_kfid ?? item.open_kfid;
    if (!userId || !kfId) return null;
    return {
      shopId, channel: 'wecomKf', platformMessageId: item.msgid, deliveryId: null, customerId: userId, customerName: null,
      conversationKey: `wecomKf:${kfId}:${userId}`, text: null, kind: 'event', event: 'session_start', receivedAt: now,
      replyContext: { openKfId: kfId, ...(item.event.welcome_code ? { welcomeCode: item.event.welcome_code, welcomeAt: now.getTime() } : {}) },
      raw: item,
    };
  }
  if (item.origin !== ORIGIN_CUSTOMER || !item.external_userid || !item.open_kfid || !item.msgtype) return null;
  const kind = KINDS[item.msgtype] ?? 'other';
  return {
    shopId, channel: 'wecomKf', platformMessageId: item.msgid, deliveryId: null, customerId: item.external_userid,
    customerName: null, conversationKey: `wecomKf:${item.open_kfid}:${item.external_userid}`,
    text: kind === 'text' ? (item.text?.content ?? '').trim() : null, kind, receivedAt: now,
    replyContext: { openKfId: item.open_kfid, inboundAt: (item.send_time ?? Math.floor(now.getTime() / 1000)) * 1000 },
    raw: item,
  };
}
