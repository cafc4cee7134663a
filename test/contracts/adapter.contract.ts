import { describe, expect, it } from 'vitest';
import { platformSuite } from '../helpers/suite.js';
import { DIALECTS, freshDatabaseUrl } from '../helpers/db.js';
import { DINGTALK, dingtalkMessage } from '../helpers/dingtalk.js';
import { FAKE_SECRETS, FakePlatforms } from '../helpers/fake-platforms.js';
import { receiveEvent, signedEncrypted } from '../helpers/feishu.js';
import { allChannels, FEISHU, LOCAL_TOKEN, startService, writeConfig } from '../helpers/service.js';
import type { TestService } from '../helpers/service.js';
import { kfCustomerText, kfEvent, WECOM, wecomCallback, wecomText } from '../helpers/wecom.js';

/**
 * One contract, every adapter: the same cases run against feishu, wecom, wecomKf, dingtalk and
 * local through the real server and a fake platform API, with payloads built with the real
 * algorithms. A new adapter adds a driver here and must pass all of them.
 */
interface Req {
  path: string;
  body: string | Buffer;
  headers: Record<string, string>;
}

interface Driver {
  name: string;
  channel: string;
  deliver(id: string, text: string, nowMs: number, fake: FakePlatforms): Req;
  badSignature(nowMs: number, fake: FakePlatforms): Req;
  garbage(): Req;
  /** Replies the customer got on this platform. */
  sent(fake: FakePlatforms): string[];
  /** Revoke the platform token in use (undefined: this platform has no tokens). */
  revokeToken?(fake: FakePlatforms): void;
  /** Whether replies go through a platform send API that can fail (local answers inline). */
  sendsThroughApi: boolean;
  /** Let background work (微信客服 pulls) finish. */
  settle(svc: TestService): Promise<void>;
}

const json = { 'content-type': 'application/json' };
const xml = { 'content-type': 'text/xml' };
const nothing = async () => undefined;

const drivers: Driver[] = [
  {
    name: 'feishu', channel: 'feishu', sendsThroughApi: true, settle: nothing,
    deliver: (id, text, now) => {
      const { body, headers } = signedEncrypted(receiveEvent({ token: FEISHU.verificationToken, messageId: id, eventId: `ev_${id}`, text }), FEISHU.encryptKey, Math.floor(now / 1000));
      return { path: '/webhooks/feishu/acme', body, headers };
    },
    badSignature: (now) => {
      const { body, headers } = signedEncrypted(receiveEvent({ token: FEISHU.verificationToken }), FEISHU.encryptKey, Math.floor(now / 1000));
      return { path: '/webhooks/feishu/acme', body, headers: { ...headers, 'x-lark-signature': 'a'.repeat(64) } };
    },
    garbage: () => ({ path: '/webhooks/feishu/acme', body: '{{{{', headers: json }),
    sent: (f) => f.delivered.map((d) => d.text),
    revokeToken: (f) => f.revoked.add(`t-fake-${f.tokensIssued}`),
  },
  {
    name: 'wecom', channel: 'wecom', sendsThroughApi: true, settle: nothing,
    deliver: (id, text, now) => {
      const cb = wecomCallback(wecomText(id, 'zhangsan', text, Math.floor(now / 1000)), Math.floor(now / 1000));
      return { path: `/webhooks/wecom/acme?${cb.query}`, body: cb.body, headers: xml };
    },
    badSignature: (now) => {
      const cb = wecomCallback(wecomText('1', 'zhangsan', 'x', Math.floor(now / 1000)), Math.floor(now / 1000), { token: 'wrong-token' });
      return { path: `/webhooks/wecom/acme?${cb.query}`, body: cb.body, headers: xml };
    },
    garbage: () => ({ path: '/webhooks/wecom/acme?msg_signature=a&timestamp=1&nonce=2', body: 'not xml at all', headers: xml }),
    sent: (f) => f.sent.filter((s) => s.platform === 'wecom').map((s) => s.text),
    revokeToken: (f) => f.revoked.add(`wx-token-${f.wecomTokensIssued}`),
  },
  {
    name: 'wecomKf', channel: 'wecomKf', sendsThroughApi: true,
    settle: (svc) => svc.service.kf.idle(),
    deliver: (id, text, now, fake) => {
      if (!fake.kfItems.some((i) => i.msgid === id)) fake.kfItems.push(kfCustomerText(id, 'wmCustomer1', text, Math.floor(now / 1000)));
      const cb = wecomCallback(kfEvent(`ENC_TOKEN_${id}`, Math.floor(now / 1000)), Math.floor(now / 1000));
      return { path: `/webhooks/wecom/acme?${cb.query}`, body: cb.body, headers: xml };
    },
    badSignature: (now) => {
      const cb = wecomCallback(kfEvent('T', Math.floor(now / 1000)), Math.floor(now / 1000), { corpId: 'wwSomeoneElse' });
      return { path: `/webhooks/wecom/acme?${cb.query}`, body: cb.body, headers: xml };
    },
    garbage: () => ({ path: '/webhooks/wecom/acme?msg_signature=a&timestamp=1&nonce=2', body: '<xml><nothing/></xml>', headers: xml }),
    sent: (f) => f.sent.filter((s) => s.platform === 'kf').map((s) => s.text),
    revokeToken: (f) => f.revoked.add(`wx-token-${f.wecomTokensIssued}`),
  },
  {
    name: 'dingtalk', channel: 'dingtalk', sendsThroughApi: true, settle: nothing,
    deliver: (id, text, now, fake) => ({ path: '/webhooks/dingtalk/acme', ...dingtalkMessage({ msgId: id, text, base: fake.base, nowMs: now }) }),
    badSignature: (now, fake) => ({ path: '/webhooks/dingtalk/acme', ...dingtalkMessage({ msgId: 'x', text: 'x', base: fake.base, nowMs: now, sign: 'bm90IHRoZSBzaWdu' }) }),
    // DingTalk signs the timestamp, not the body: a correctly signed request with a broken body.
    garbage: () => ({ path: '/webhooks/dingtalk/acme', body: 'garbage', headers: dingtalkMessage({ msgId: 'g', text: 'x', base: '', nowMs: NOON }).headers }),
    sent: (f) => f.sent.filter((s) => s.platform === 'dingtalk').map((s) => s.text),
  },
  {
    name: 'local', channel: 'local', sendsThroughApi: false, settle: nothing,
    deliver: (id, text) => ({ path: '/webhooks/local/acme', body: JSON.stringify({ user: 'u1', text, id }), headers: { ...json, authorization: `Bearer ${LOCAL_TOKEN}` } }),
    badSignature: () => ({ path: '/webhooks/local/acme', body: JSON.stringify({ user: 'u1', text: '你好' }), headers: { ...json, authorization: 'Bearer wrong-token-123' } }),
    garbage: () => ({ path: '/webhooks/local/acme', body: '[not json', headers: { ...json, authorization: `Bearer ${LOCAL_TOKEN}` } }),
    sent: () => [],
  },
];

const NOON = Date.parse('2026-11-27T04:00:00Z');

describe.each(DIALECTS)('adapter contract on %s', (dialect) => {
  const t = platformSuite(dialect, { start: NOON, config: (fake) => writeConfig({ channels: allChannels(), localToken: true, businessHours: '{ from: "09:00", to: "23:00" }' }) });

  const post = (r: Req) => fetch(`${t.svc.url}${r.path}`, { method: 'POST', body: typeof r.body === 'string' ? r.body : new Uint8Array(r.body), headers: r.headers });
  const inbound = async (channel: string) => (await t.svc.service.db.db.selectFrom('messages').selectAll().where('direction', '=', 'in').where('channel', '=', channel).execute());
  const flush = async (d: Driver) => {
    await d.settle(t.svc);
    await t.svc.service.worker.tick();
    await t.svc.service.worker.idle();
  };

  describe.each(drivers)('$name', (d) => {
    it('a valid message becomes one normalized message and gets the playbook reply', async () => {
      const res = await post(d.deliver('msg-1', '发票能开吗', t.clock, t.fake));
      expect(res.status).toBe(200);
      await flush(d);
      const rows = await inbound(d.channel);
      expect(rows.map((r) => [r.platform_message_id, r.text, r.kind])).toEqual([['msg-1', '发票能开吗', 'text']]);
      if (d.sendsThroughApi) expect(d.sent(t.fake)).toEqual([expect.stringContaining('发票')]);
      else expect(JSON.parse(await res.text()).replies[0].text).toContain('发票');
    });

    it('the same delivery three times gives one reply', async () => {
      t.fake.kfIgnoreCursor = true; // 微信客服: the platform hands the same message back each time
      const req = d.deliver('msg-dup', '你好', t.clock, t.fake);
      for (let i = 0; i < 3; i++) expect((await post(req)).status).toBe(200);
      await flush(d);
      expect(await inbound(d.channel)).toHaveLength(1);
      const out = await t.svc.service.db.db.selectFrom('outbox').selectAll().where('channel', '=', d.channel).execute();
      expect(out).toHaveLength(1);
      if (d.sendsThroughApi) expect(d.sent(t.fake)).toHaveLength(1);
    });

    it('a bad signature is 401 and stores nothing', async () => {
      const res = await post(d.badSignature(t.clock, t.fake));
      expect(res.status).toBe(401);
      await flush(d);
      expect(await inbound(d.channel)).toEqual([]);
      expect(await t.svc.service.db.db.selectFrom('customers').selectAll().execute()).toEqual([]);
    });

    it('garbage is 400 and stores nothing', async () => {
      const res = await post(d.garbage());
      expect(res.status).toBe(400);
      expect((await res.json()).reason).toBeTruthy();
      expect(await inbound(d.channel)).toEqual([]);
    });

    it.runIf(d.revokeToken)('an expired token is refreshed and the reply sent once', async () => {
      await post(d.deliver('msg-a', '你好', t.clock, t.fake));
      await flush(d);
      d.revokeToken!(t.fake);
      await post(d.deliver('msg-b', '发票', t.clock, t.fake));
      await flush(d);
      expect(d.sent(t.fake)).toHaveLength(2);
      expect(d.sent(t.fake)[1]).toContain('发票');
    });

    it.runIf(d.sendsThroughApi)('a send API 500 then 200 delivers one message', async () => {
      t.fake.script = [500];
      await post(d.deliver('msg-500', '发票', t.clock, t.fake));
      await flush(d);
      expect(d.sent(t.fake)).toEqual([]);
      t.clock += 60_000;
      await flush(d);
      expect(d.sent(t.fake)).toEqual([expect.stringContaining('发票')]);
    });

    it('secrets never reach the logs', async () => {
      await post(d.deliver('msg-log', '你好', t.clock, t.fake));
      await post(d.badSignature(t.clock, t.fake));
      await flush(d);
      for (const secret of [FEISHU.appSecret, FEISHU.encryptKey, FAKE_SECRETS.wecom, WECOM.encodingAESKey, DINGTALK.appSecret, LOCAL_TOKEN]) {
        expect(t.svc.logs.text).not.toContain(secret);
      }
    });
  });
});
