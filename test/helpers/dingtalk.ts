import { dingtalkSign } from '../../adapters/dingtalk/verify.js';

export const DINGTALK = { appKey: 'dingabc123', appSecret: 'dingtalk-app-secret-789', robotCode: 'dingabc123' } as const;

/** A robot callback as DingTalk posts it, signed with the app secret. */
/** `richText`: the message's parts as DingTalk sends text and pictures together (msgtype richText) instead of `text`. */
export function dingtalkMessage(o: { msgId: string; text: string; base: string; nowMs: number; staffId?: string; group?: boolean; sign?: string; richText?: Record<string, unknown>[] }) {
  const body = {
    conversationId: o.group ? 'cidGroup==' : 'cidP2P==', atUsers: [], chatbotCorpId: 'ding1', chatbotUserId: '$:LWCP_v1:$bot',
    msgId: o.msgId, senderNick: '张三', isAdmin: false, senderStaffId: o.staffId ?? 'staff01',
    sessionWebhookExpiredTime: o.nowMs + 90 * 60_000, createAt: o.nowMs, senderCorpId: 'ding1',
    conversationType: o.group ? '2' : '1', senderId: '$:LWCP_v1:$sender01', isInAtList: true,
    sessionWebhook: `${o.base}/robot/sendBySession?session=s-${o.msgId}`, robotCode: DINGTALK.robotCode,
    ...(o.richText ? { msgtype: 'richText', content: { richText: o.richText } } : { msgtype: 'text', text: { content: ` ${o.text}` } }),
  };
  const timestamp = String(o.nowMs);
  return {
    body: JSON.stringify(body),
    headers: { 'content-type': 'application/json', timestamp, sign: o.sign ?? dingtalkSign(timestamp, DINGTALK.appSecret) },
  };
}
