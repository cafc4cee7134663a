import nock from 'nock';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { feishuAdapter } from '../../adapters/feishu/index.js';
import { feishuDecrypt, feishuSignature, verifyFeishu } from '../../adapters/feishu/verify.js';
import { createPlatformHttp } from '../../adapters/shared/http.js';
import { createTokenCache } from '../../adapters/shared/token-cache.js';
import type { RawRequest, SendContext } from '../../adapters/types.js';
import { RequestError } from '../../src/errors.js';
import type { OutboundMessage } from '../../src/types/index.js';
import { feishuEncrypt, receiveEvent, signedEncrypted } from '../helpers/feishu.js';

const cfg = { appId: 'cli_test', appSecret: 's3cr3t', verificationToken: 'vt', encryptKey: 'ek' };
const NOW = new Date('2026-11-27T03:00:00Z');
const nowSec = Math.floor(NOW.getTime() / 1000);

function req(body: Buffer, headers: Record<string, string> = {}): RawRequest {
  return { method: 'POST', query: {}, headers, body };
}

describe('Feishu crypto', () => {
  it('decrypts the protocols.md test vector', () => {
    expect(feishuDecrypt('P37w+VZImNgPEO1RBhJ6RtKl7n6zymIbEG1pReEzghk=', 'test key')).toBe('hello world');
  });

  it('signs over the raw bytes: a re-serialised body no longer matches', () => {
    const body = Buffer.from('{"encrypt":  "abc"}');
    const sig = feishuSignature('1700000000', 'n1', 'ek', body);
    expect(sig).toMatch(/^[0-9a-f]{64}$/);
    expect(feishuSignature('1700000000', 'n1', 'ek', Buffer.from(JSON.stringify(JSON.parse(body.toString()))))).not.toBe(sig);
  });

  it('refuses a wrong key', () => {
    expect(() => feishuDecrypt(feishuEncrypt('{"a":1}', 'right'), 'wrong')).toThrow();
  });
});

describe('verifyFeishu', () => {
  const event = receiveEvent({ token: 'vt' });

  it('accepts a signed encrypted event within the window', () => {
    const { body, headers } = signedEncrypted(event, 'ek', nowSec - 200);
    const v = verifyFeishu(req(body, headers), cfg, NOW);
    expect(v.ok && (v.payload as { header: { event_id: string } }).header.event_id).toBe((event.header as { event_id: string }).event_id);
  });

  it('refuses a replay older than 5 minutes and a timestamp far in the future', () => {
    for (const ts of [nowSec - 301, nowSec + 301]) {
      const { body, headers } = signedEncrypted(event, 'ek', ts);
      expect(verifyFeishu(req(body, headers), cfg, NOW)).toMatchObject({ ok: false, status: 401 });
    }
  });

  it('checks the verification token when no encrypt key is set', () => {
    const plain = { ...cfg, encryptKey: undefined };
    expect(verifyFeishu(req(Buffer.from(JSON.stringify(event))), plain, NOW).ok).toBe(true);
    const wrong = receiveEvent({ token: 'other' });
    expect(verifyFeishu(req(Buffer.from(JSON.stringify(wrong))), plain, NOW)).toMatchObject({ ok: false, status: 401 });
    const enc = Buffer.from(JSON.stringify({ encrypt: feishuEncrypt(JSON.stringify(event), 'ek') }));
    expect(verifyFeishu(req(enc), plain, NOW)).toMatchObject({ ok: false, status: 401, reason: expect.stringMatching(/encryptKey/) });
  });

  it('answers 400 for bodies that are not JSON objects', () => {
    expect(verifyFeishu(req(Buffer.from('[1,2]')), { ...cfg, encryptKey: undefined }, NOW)).toMatchObject({ ok: false, status: 400 });
    expect(verifyFeishu(req(Buffer.from('\xff\xfe')), cfg, NOW)).toMatchObject({ ok: false, status: 400 });
  });
});

describe('parseFeishu', () => {
  const parse = (payload: unknown) => feishuAdapter.parse(payload, { shopId: 'acme', cfg, now: NOW });

  it('normalizes a p2p text message', () => {
    const p = parse(receiveEvent({ token: 'vt', text: ' 你好 ', messageId: 'om_1', eventId: 'ev_1', openId: 'ou_9', chatId: 'oc_9' }));
    expect(p).toMatchObject({ kind: 'messages' });
    if (p.kind !== 'messages') return;
    expect(p.messages[0]).toMatchObject({
      shopId: 'acme', channel: 'feishu', platformMessageId: 'om_1', deliveryId: 'ev_1', customerId: 'ou_9',
      conversationKey: 'feishu:oc_9:ou_9', text: '你好', kind: 'text', replyContext: { chatId: 'oc_9', chatType: 'p2p' },
    });
  });

  it('ignores messages from bots and other event types', () => {
    expect(parse(receiveEvent({ token: 'vt', senderType: 'app' }))).toMatchObject({ kind: 'ignored' });
    expect(parse({ schema: '2.0', header: { event_type: 'im.message.message_read_v1', event_id: 'e' }, event: {} })).toMatchObject({ kind: 'ignored' });
  });

  it('reads a rich-text (post) message as the words in it: title, text and links, without the @-mention', () => {
    const post = {
      title: '',
      content: [
        [{ tag: 'at', user_id: '@_user_1', user_name: '小二' }, { tag: 'text', text: ' 请问这件', style: [] }],
        [{ tag: 'text', text: '什么时候发货？' }, { tag: 'a', href: 'https://item.example/1', text: '链接' }],
        [{ tag: 'img', image_key: 'img_v3_1' }],
      ],
    };
    const p = parse(receiveEvent({ token: 'vt', messageType: 'post', content: JSON.stringify(post), chatType: 'group', mentions: [{ key: '@_user_1', id: { open_id: 'ou_bot' }, name: '店小二' }] }));
    expect(p).toMatchObject({ kind: 'messages', messages: [{ kind: 'text', text: '请问这件 什么时候发货？链接' }] });
    // The shape posts are sent in (a locale wrapper) reads the same; a post of only pictures is an image.
    const wrapped = parse(receiveEvent({ token: 'vt', messageType: 'post', content: JSON.stringify({ zh_cn: { title: '退货', content: [[{ tag: 'text', text: '怎么退' }]] } }) }));
    expect(wrapped).toMatchObject({ messages: [{ kind: 'text', text: '退货 怎么退' }] });
    const pictures = parse(receiveEvent({ token: 'vt', messageType: 'post', content: JSON.stringify({ title: '', content: [[{ tag: 'img', image_key: 'k' }]] }) }));
    expect(pictures).toMatchObject({ messages: [{ kind: 'image', text: null }] });
    expect(() => parse(receiveEvent({ token: 'vt', messageType: 'post', content: '{not json' }))).toThrow(RequestError);
  });

  it('rejects a receive event with a broken content field', () => {
    expect(() => parse(receiveEvent({ token: 'vt', content: 'not json' }))).toThrow(RequestError);
  });
});

describe('sendFeishu', () => {
  const BASE = 'https://feishu.test';
  const msg: OutboundMessage = {
    shopId: 'acme', channel: 'feishu', customerId: 'ou_1', conversationKey: 'k', text: '亲，您好', rule: 'r',
    response: 'x', proactive: true, idempotencyKey: 'uuid-1', replyContext: {},
  };
  const ctx = (): SendContext => ({
    http: createPlatformHttp(), apiBase: BASE, tokens: createTokenCache(() => NOW.getTime(), 0),
    log: pino({ level: 'silent' }), now: () => NOW.getTime(),
  });
  afterEach(() => nock.cleanAll());

  const token = () => nock(BASE).post('/open-apis/auth/v3/tenant_access_token/internal', { app_id: 'cli_test', app_secret: 's3cr3t' })
    .reply(200, { code: 0, msg: 'ok', tenant_access_token: 't-1', expire: 7200 });

  it('sends by open_id with the uuid when there is no chat to answer in', async () => {
    token();
    const scope = nock(BASE, { reqheaders: { authorization: 'Bearer t-1' } })
      .post('/open-apis/im/v1/messages', { receive_id: 'ou_1', msg_type: 'text', content: JSON.stringify({ text: '亲，您好' }), uuid: 'uuid-1' })
      .query({ receive_id_type: 'open_id' })
      .reply(200, { code: 0, msg: 'success', data: { message_id: 'om_x' } });
    expect(await feishuAdapter.send(msg, cfg, ctx())).toEqual({ ok: true, platformId: 'om_x' });
    expect(scope.isDone()).toBe(true);
  });

  it('classifies rate limits as backoff and permanent errors as never', async () => {
    token();
    nock(BASE).post('/open-apis/im/v1/messages').query(true).reply(400, { code: 99991400, msg: 'rate limit' });
    expect(await feishuAdapter.send(msg, cfg, ctx())).toMatchObject({ ok: false, retry: 'backoff' });
    token();
    nock(BASE).post('/open-apis/im/v1/messages').query(true).reply(400, { code: 230002, msg: 'bot not in chat' });
    expect(await feishuAdapter.send(msg, cfg, ctx())).toMatchObject({ ok: false, retry: 'never', reason: expect.stringMatching(/230002/) });
  });

  it('treats a network failure and a failed token fetch as retryable without leaking the secret', async () => {
    // Nothing listens on port 9 (discard): a real refused connection, not a mock of one.
    const refused = await feishuAdapter.send(msg, cfg, { ...ctx(), apiBase: 'http://127.0.0.1:9' });
    expect(refused).toMatchObject({ ok: false, retry: 'backoff', reason: expect.stringMatching(/ECONNREFUSED/) });
    nock(BASE).post('/open-apis/auth/v3/tenant_access_token/internal').reply(200, { code: 10014, msg: 'app secret invalid' });
    const r = await feishuAdapter.send(msg, cfg, ctx());
    expect(r).toMatchObject({ ok: false, retry: 'backoff', reason: expect.stringMatching(/appSecret/) });
    expect(JSON.stringify(r)).not.toContain('s3cr3t');
  });
});
