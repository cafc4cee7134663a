import { randomBytes } from 'node:crypto';
import { encrypt, getSignature } from '@wecom/crypto';

export const WECOM = {
  corpId: 'ww1a2b3c4d5e6f7a8b',
  agentId: 1000002,
  token: 'QDG6eK',
  encodingAESKey: 'jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C',
  openKfId: 'wkAbCdEf123456',
} as const;

/** A callback exactly as WeCom sends it: encrypted inner XML, signed query, outer XML body. */
export function wecomCallback(innerXml: string, nowSec: number, opts: { token?: string; corpId?: string } = {}) {
  const enc = encrypt(WECOM.encodingAESKey, innerXml, opts.corpId ?? WECOM.corpId);
  const nonce = String(randomBytes(4).readUInt32BE());
  const timestamp = String(nowSec);
  const signature = getSignature(opts.token ?? WECOM.token, timestamp, nonce, enc);
  const body = `<xml><ToUserName><![CDATA[${WECOM.corpId}]]></ToUserName><AgentID><![CDATA[${WECOM.agentId}]]></AgentID><Encrypt><![CDATA[${enc}]]></Encrypt></xml>`;
  return { query: `msg_signature=${signature}&timestamp=${timestamp}&nonce=${nonce}`, body };
}

export function wecomText(msgId: string, from: string, text: string, createTime: number): string {
  return `<xml><ToUserName><![CDATA[${WECOM.corpId}]]></ToUserName><FromUserName><![CDATA[${from}]]></FromUserName><CreateTime>${createTime}</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[${text}]]></Content><MsgId>${msgId}</MsgId><AgentID>${WECOM.agentId}</AgentID></xml>`;
}

export function kfEvent(token: string, createTime: number): string {
  return `<xml><ToUserName><![CDATA[${WECOM.corpId}]]></ToUserName><CreateTime>${createTime}</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[kf_msg_or_event]]></Event><Token><![CDATA[${token}]]></Token><OpenKfId><![CDATA[${WECOM.openKfId}]]></OpenKfId></xml>`;
}

export function kfCustomerText(msgid: string, user: string, text: string, sendTime: number) {
  return { msgid, open_kfid: WECOM.openKfId, external_userid: user, send_time: sendTime, origin: 3, msgtype: 'text', text: { content: text } };
}

export function kfEnterSession(msgid: string, user: string, welcomeCode: string, sendTime: number) {
  return {
    msgid, open_kfid: WECOM.openKfId, external_userid: user, send_time: sendTime, origin: 4, msgtype: 'event',
    event: { event_type: 'enter_session', open_kfid: WECOM.openKfId, external_userid: user, scene: '123', welcome_code: welcomeCode },
  };
}

/** A 接待人员's message from the WeCom client, as sync_msg returns it (origin 5). */
export function kfServicerText(msgid: string, user: string, servicer: string, text: string, sendTime: number) {
  return { msgid, open_kfid: WECOM.openKfId, external_userid: user, send_time: sendTime, origin: 5, servicer_userid: servicer, msgtype: 'text', text: { content: text } };
}

/** session_status_change: 1 taken from the pool, 2 transferred, 3 ended, 4 an ended session taken up again. */
export function kfSessionChange(msgid: string, user: string, changeType: 1 | 2 | 3 | 4, servicers: { old?: string; new?: string }, sendTime: number) {
  return {
    msgid, send_time: sendTime, origin: 4, msgtype: 'event',
    event: {
      event_type: 'session_status_change', open_kfid: WECOM.openKfId, external_userid: user, change_type: changeType,
      ...(servicers.old ? { old_servicer_userid: servicers.old } : {}), ...(servicers.new ? { new_servicer_userid: servicers.new } : {}),
    },
  };
}

/** msg_send_fail: a message the API accepted could not be delivered (fail_type 10: the customer refuses messages). */
export function kfSendFail(msgid: string, user: string, failMsgid: string, failType: number, sendTime: number) {
  return {
    msgid, send_time: sendTime, origin: 4, msgtype: 'event',
    event: { event_type: 'msg_send_fail', open_kfid: WECOM.openKfId, external_userid: user, fail_msgid: failMsgid, fail_type: failType },
  };
}
