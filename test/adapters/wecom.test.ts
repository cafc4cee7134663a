import { encrypt } from '@wecom/crypto';
import { describe, expect, it } from 'vitest';
import { parseWecom } from '../../adapters/wecom/parse.js';
import { verifyWecom, verifyWecomUrl } from '../../adapters/wecom/verify.js';
import { kfItemToInbound } from '../../adapters/wecom-kf/parse.js';
import type { RawRequest } from '../../adapters/types.js';
import { RequestError } from '../../src/errors.js';
import { kfEnterSession, kfCustomerText } from '../helpers/wecom.js';

// protocols.md test vectors (verified with @wecom/crypto 1.0.1)
const GET_VECTOR = {
  cfg: { corpId: 'wx5823bf96d3bd56c7', agentId: 1, secret: 's', token: 'QDG6eK', encodingAESKey: 'jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C' },
  query: {
    msg_signature: '5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3', timestamp: '1409659589', nonce: '263014780',
    echostr: 'P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ==',
  },
  now: new Date(1409659589 * 1000),
};
const POST_VECTOR = {
  cfg: { corpId: 'wx49f0ab532d5d035a', agentId: 1, secret: 's', token: '123456', encodingAESKey: 'kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aQ' },
  query: { msg_signature: '74d92dfeb87ba7c714f89d98870ae5eb62dff26d', timestamp: '1411525903', nonce: '461056294' },
  encrypt: 'RgqEoJj5A4EMYlLvWO1F86ioRjZfaex/gePD0gOXTxpsq5Yj4GNglrBb8I2BAJVODGajiFnXBu7mCPatfjsu6IHCrsTyeDXzF6Bv283dGymzxh6ydJRvZsryDyZbLTE7rhnus50qGPMfp2wASFlzEgMW9z1ef/RD8XzaFYgm7iTdaXpXaG4+BiYyolBug/gYNx410cvkKR2/nPwBiT+P4hIiOAQqGp/TywZBtDh1yCF2KOd0gpiMZ5jSw3e29mTvmUHzkVQiMS6td7vXUaWOMZnYZlF3So2SjHnwh4jYFxdgpkHHqIrH/54SNdshoQgWYEvccTKe7FS709/5t6NMxuGhcUGAPOQipvWTT4dShyqio7mlsl5noTrb++x6En749zCpQVhDpbV6GDnTbcX2e8K9QaNWHp91eBdCRxthuL0=',
  now: new Date(1411525903 * 1000),
};
const req = (query: Record<string, string>, body = ''): RawRequest => ({ method: 'POST', query, headers: {}, body: Buffer.from(body) });

describe('WeCom crypto (protocols.md vectors)', () => {
  it('answers the GET URL check with the decrypted echostr', () => {
    expect(verifyWecomUrl(req(GET_VECTOR.query), GET_VECTOR.cfg, GET_VECTOR.now)).toEqual({ status: 200, body: '1616140317555161061' });
  });

  it('refuses the GET vector under another key (receive id does not match)', () => {
    const other = { ...GET_VECTOR.cfg, encodingAESKey: 'kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aQ' };
    expect(() => verifyWecomUrl(req(GET_VECTOR.query), other, GET_VECTOR.now)).toThrow(RequestError);
  });

  it('encrypts the vector exactly', () => {
    expect(encrypt('kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aQ', 'test', 'rust', Buffer.from('1234567890123456'))).toBe('9s4gMv99m88kKTh/H8IdkNiFGeG9pd7vNWl50fGRWXY=');
  });

  it('verifies and decrypts the POST vector into a text message', () => {
    const body = `<xml><ToUserName><![CDATA[wx49f0ab532d5d035a]]></ToUserName><Encrypt><![CDATA[${POST_VECTOR.encrypt}]]></Encrypt><AgentID><![CDATA[218]]></AgentID></xml>`;
    const v = verifyWecom(req(POST_VECTOR.query, body), POST_VECTOR.cfg, POST_VECTOR.now);
    expect(v.ok).toBe(true);
    if (!v.ok) return;
    expect(v.payload).toMatchObject({ FromUserName: 'messense', Content: 'test', MsgType: 'text', MsgId: '4363689963896700987' });
    const parsed = parseWecom(v.payload, { shopId: 'acme', cfg: POST_VECTOR.cfg, now: POST_VECTOR.now });
    expect(parsed).toMatchObject({ kind: 'messages', messages: [{ platformMessageId: '4363689963896700987', customerId: 'messense', text: 'test' }] });
  });

  it('refuses a wrong signature, a stale timestamp and a non-XML body', () => {
    const body = `<xml><Encrypt><![CDATA[${POST_VECTOR.encrypt}]]></Encrypt></xml>`;
    expect(verifyWecom(req({ ...POST_VECTOR.query, msg_signature: '0'.repeat(40) }, body), POST_VECTOR.cfg, POST_VECTOR.now)).toMatchObject({ ok: false, status: 401 });
    expect(verifyWecom(req(POST_VECTOR.query, body), POST_VECTOR.cfg, new Date(POST_VECTOR.now.getTime() + 2 * 3600_000))).toMatchObject({ ok: false, status: 401 });
    expect(verifyWecom(req(POST_VECTOR.query, '{"not":"xml"}'), POST_VECTOR.cfg, POST_VECTOR.now)).toMatchObject({ ok: false, status: 400 });
  });
});

describe('微信客服 items', () => {
  const now = new Date('2026-11-27T03:00:00Z');
  it('turns customer text and enter_session into messages and skips servicer messages', () => {
    expect(kfItemToInbound(kfCustomerText('m1', 'wmUser', ' 你好 ', 1_800_000_000), 'acme', now)).toMatchObject({
      channel: 'wecomKf', platformMessageId: 'm1', customerId: 'wmUser', text: '你好', conversationKey: 'wecomKf:wkAbCdEf123456:wmUser',
      replyContext: { openKfId: 'wkAbCdEf123456', inboundAt: 1_800_000_000_000 },
    });
    expect(kfItemToInbound(kfEnterSession('m2', 'wmUser', 'WELCOME', 1), 'acme', now)).toMatchObject({
      kind: 'event', event: 'session_start', replyContext: { welcomeCode: 'WELCOME', welcomeAt: now.getTime() },
    });
    expect(kfItemToInbound({ ...kfCustomerText('m3', 'wmUser', 'hi', 1), origin: 5 }, 'acme', now)).toBeNull();
  });
});

describe('微信客服 welcome', () => {
  it('skips a greeting whose welcome_code is older than 20 s instead of sending it late', async () => {
    const { sendKf } = await import('../../adapters/wecom-kf/send.js');
    const { createPlatformHttp } = await import('../../adapters/shared/http.js');
    const { createTokenCache } = await import('../../adapters/shared/token-cache.js');
    const { pino } = await import('pino');
    const now = Date.parse('2026-11-27T03:00:00Z');
    const r = await sendKf({
      shopId: 'acme', channel: 'wecomKf', customerId: 'wm1', conversationKey: 'k', text: '欢迎', rule: 'r', response: 'x',
      proactive: false, idempotencyKey: 'k1', replyContext: { welcomeCode: 'CODE', welcomeAt: now - 21_000, openKfId: 'wk1' },
    }, { corpId: 'ww1', agentId: 1, secret: 's', token: 't', encodingAESKey: 'a'.repeat(43), openKfId: 'wk1', handoffTo: 'desk' }, {
      http: createPlatformHttp(), apiBase: 'http://127.0.0.1:9', tokens: createTokenCache(() => now, 0), log: pino({ level: 'silent' }), now: () => now,
    });
    expect(r).toEqual({ ok: false, retry: 'skip', reason: 'welcome_code expired (21 s old, valid 20 s)' });
  });
});

describe("customers' pictures and files in stored callbacks", () => {
  it('the app: an image or voice note by MediaId (not PicUrl); nothing for text or a payload of another shape', async () => {
    const { wecomMediaOf } = await import('../../adapters/wecom/parse.js');
    expect(wecomMediaOf({ MsgType: 'image', MediaId: 'M1', PicUrl: 'http://wx.qlogo.cn/x' })).toEqual([{ kind: 'image', key: 'M1' }]);
    expect(wecomMediaOf({ MsgType: 'voice', MediaId: 'V1', Format: 'amr' })).toEqual([{ kind: 'file', key: 'V1' }]);
    expect(wecomMediaOf({ MsgType: 'text', Content: '你好' })).toEqual([]);
    expect(wecomMediaOf({ MsgType: 'image' })).toEqual([]);
    expect(wecomMediaOf(null)).toEqual([]);
  });
  it('微信客服: the item of its own type names the media', async () => {
    const { kfMediaOf } = await import('../../adapters/wecom-kf/parse.js');
    expect(kfMediaOf({ msgtype: 'file', file: { media_id: 'F1' } })).toEqual([{ kind: 'file', key: 'F1' }]);
    expect(kfMediaOf({ msgtype: 'image', file: { media_id: 'F1' } })).toEqual([]);
    expect(kfMediaOf('garbage')).toEqual([]);
  });
});
