import { createCipheriv, randomBytes } from 'node:crypto';
import { sha256 } from '../../adapters/shared/crypto.js';
import { feishuSignature } from '../../adapters/feishu/verify.js';

/** Encrypts like Feishu: AES-256-CBC, key SHA-256(encryptKey), random IV prepended, base64. */
export function feishuEncrypt(plain: string, encryptKey: string, iv = randomBytes(16)): string {
  const c = createCipheriv('aes-256-cbc', sha256(encryptKey), iv);
  return Buffer.concat([iv, c.update(plain, 'utf8'), c.final()]).toString('base64');
}

export interface FeishuEventOpts {
  eventId?: string;
  messageId?: string;
  openId?: string;
  chatId?: string;
  chatType?: 'p2p' | 'group';
  text?: string;
  messageType?: string;
  content?: string;
  token: string;
  mentions?: { key: string; id: { open_id: string }; name: string }[];
  senderType?: string;
}

/** An im.message.receive_v1 event shaped as Feishu documents it (schema 2.0). */
export function receiveEvent(o: FeishuEventOpts): Record<string, unknown> {
  return {
    schema: '2.0',
    header: {
      event_id: o.eventId ?? `ev_${randomBytes(8).toString('hex')}`,
      event_type: 'im.message.receive_v1',
      create_time: String(Date.now()),
      token: o.token,
      app_id: 'cli_a1b2c3d4e5',
      tenant_key: '2ca1d211f64f6438',
    },
    event: {
      sender: { sender_id: { union_id: 'on_1', user_id: null, open_id: o.openId ?? 'ou_customer1' }, sender_type: o.senderType ?? 'user', tenant_key: '2ca1d211f64f6438' },
      message: {
        message_id: o.messageId ?? `om_${randomBytes(8).toString('hex')}`,
        root_id: '', parent_id: '', create_time: String(Date.now()),
        chat_id: o.chatId ?? 'oc_chat1',
        chat_type: o.chatType ?? 'p2p',
        message_type: o.messageType ?? 'text',
        content: o.content ?? JSON.stringify({ text: o.text ?? '你好' }),
        ...(o.mentions ? { mentions: o.mentions } : {}),
      },
    },
  };
}

/** The body and headers Feishu would POST for `payload` with an Encrypt Key set. */
export function signedEncrypted(payload: unknown, encryptKey: string, timestampSec = Math.floor(Date.now() / 1000)) {
  const body = Buffer.from(JSON.stringify({ encrypt: feishuEncrypt(JSON.stringify(payload), encryptKey) }));
  const nonce = randomBytes(8).toString('hex');
  const ts = String(timestampSec);
  return {
    body,
    headers: {
      'content-type': 'application/json',
      'x-lark-request-timestamp': ts,
      'x-lark-request-nonce': nonce,
      'x-lark-signature': feishuSignature(ts, nonce, encryptKey, body),
    },
  };
}
