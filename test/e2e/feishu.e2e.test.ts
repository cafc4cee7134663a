import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { listOutbox } from '../../src/db/outbox.js';
import { DIALECTS, freshDatabaseUrl } from '../helpers/db.js';
import type { TestDialect } from '../helpers/db.js';
import { FakePlatforms as FakeFeishu } from '../helpers/fake-platforms.js';
import { feishuEncrypt, receiveEvent, signedEncrypted } from '../helpers/feishu.js';
import { FEISHU, startService } from '../helpers/service.js';
import type { TestService } from '../helpers/service.js';

const START = Date.parse('2026-11-27T03:00:00Z'); // 11:00 in Shanghai: open hours

describe.each(DIALECTS)('Feishu end to end on %s', (dialect: TestDialect) => {
  let fake: FakeFeishu;
  let svc: TestService;
  let clock: number;
  let cleanup: () => Promise<void>;
  let dbUrl: string;

  beforeAll(async () => {
    fake = await new FakeFeishu().start();
  });
  afterAll(async () => {
    await fake.stop();
  });
  beforeEach(async () => {
    fake.delivered = [];
    fake.script = [];
    fake.attempts = 0;
    fake.tokensIssued = 0;
    clock = START;
    const file = join(mkdtempSync(join(tmpdir(), 'xiaoer-e2e-')), 'x.db');
    ({ url: dbUrl, cleanup } = await freshDatabaseUrl(dialect, file));
    svc = await startService({ databaseUrl: dbUrl, feishuBase: fake.base, now: () => new Date(clock), random: () => 0 });
  });
  afterEach(async () => {
    await svc.close();
    await cleanup();
  });

  const post = (body: Buffer | string, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
    fetch(`${svc.url}/webhooks/feishu/acme`, { method: 'POST', body: typeof body === 'string' ? body : new Uint8Array(body), headers });
  const postEvent = (payload: unknown, ts = Math.floor(clock / 1000)) => {
    const { body, headers } = signedEncrypted(payload, FEISHU.encryptKey, ts);
    return post(body, headers);
  };
  const count = async (table: 'messages' | 'outbox' | 'customers') =>
    Number((await svc.service.db.db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);

  it('answers the URL check, plain and encrypted', async () => {
    const plain = await post(JSON.stringify({ challenge: 'ch-1', token: FEISHU.verificationToken, type: 'url_verification' }));
    expect(plain.status).toBe(200);
    expect(await plain.json()).toEqual({ challenge: 'ch-1' });
    const enc = feishuEncrypt(JSON.stringify({ challenge: 'ch-2', token: FEISHU.verificationToken, type: 'url_verification' }), FEISHU.encryptKey);
    const res = await post(JSON.stringify({ encrypt: enc }));
    expect(await res.json()).toEqual({ challenge: 'ch-2' });
    const wrong = await post(JSON.stringify({ challenge: 'ch-3', token: 'nope', type: 'url_verification' }));
    expect(wrong.status).toBe(401);
  });

  it('replies exactly once to an event delivered three times, with the greeting', async () => {
    const event = receiveEvent({ token: FEISHU.verificationToken, text: '你好', openId: 'ou_c1', chatId: 'oc_p2p_1' });
    const statuses = await Promise.all([postEvent(event), postEvent(event), postEvent(event)]);
    expect(statuses.map((r) => r.status)).toEqual([200, 200, 200]);
    await svc.service.worker.tick();
    await svc.service.worker.tick();
    expect(fake.delivered).toHaveLength(1);
    const [sent] = fake.delivered;
    expect(sent!.receiveIdType).toBe('chat_id');
    expect(sent!.receiveId).toBe('oc_p2p_1');
    expect(sent!.text).toMatch(/欢迎光临阿克米旗舰店/);
    expect(sent!.uuid).toMatch(/^[0-9a-f]{32}$/);
    expect(await count('messages')).toBe(2); // one in, one out
  });

  it('redelivery with a new event_id but the same message_id still gets one reply', async () => {
    const a = receiveEvent({ token: FEISHU.verificationToken, messageId: 'om_same', eventId: 'ev_1' });
    const b = receiveEvent({ token: FEISHU.verificationToken, messageId: 'om_same', eventId: 'ev_2' });
    await postEvent(a);
    await postEvent(b);
    await svc.service.worker.tick();
    expect(fake.delivered).toHaveLength(1);
  });

  it('retries after the send API answers 500, and delivers once', async () => {
    fake.script = [500];
    expect((await postEvent(receiveEvent({ token: FEISHU.verificationToken, text: '发票怎么开' }))).status).toBe(200);
    await svc.service.worker.tick();
    expect(fake.delivered).toHaveLength(0);
    expect(fake.attempts).toBe(1);
    const [row] = await listOutbox(svc.service.db.db);
    expect(row!.state).toBe('pending');
    expect(row!.lastError).toMatch(/HTTP 500/);
    await svc.service.worker.tick(); // not due yet: backoff
    expect(fake.attempts).toBe(1);
    clock += 60_000;
    await svc.service.worker.tick();
    expect(fake.delivered.map((d) => d.text)).toEqual([expect.stringMatching(/发票/)]);
    expect((await listOutbox(svc.service.db.db))[0]!.state).toBe('sent');
  });

  it('refreshes a revoked token once and sends once; reuses a cached token', async () => {
    await postEvent(receiveEvent({ token: FEISHU.verificationToken, text: '你好' }));
    await svc.service.worker.tick();
    expect(fake.tokensIssued).toBe(1);
    fake.revoked.add('t-fake-1');
    await postEvent(receiveEvent({ token: FEISHU.verificationToken, text: '发票' }));
    await svc.service.worker.tick();
    expect(fake.tokensIssued).toBe(2);
    expect(fake.delivered.map((d) => d.token)).toEqual(['t-fake-1', 't-fake-2']);
    await postEvent(receiveEvent({ token: FEISHU.verificationToken, text: '正品吗' }));
    await svc.service.worker.tick();
    expect(fake.tokensIssued).toBe(2);
    expect(fake.delivered).toHaveLength(3);
  });

  it('refuses bad signature, stale timestamp, wrong token and garbage, writing nothing', async () => {
    const event = receiveEvent({ token: FEISHU.verificationToken });
    const good = signedEncrypted(event, FEISHU.encryptKey, Math.floor(clock / 1000));
    const badSig = await post(good.body, { ...good.headers, 'x-lark-signature': 'f'.repeat(64) });
    expect(badSig.status).toBe(401);
    const stale = await postEvent(event, Math.floor(clock / 1000) - 6 * 60);
    expect(stale.status).toBe(401);
    expect((await stale.json()).reason).toMatch(/5-minute/);
    const wrongToken = await postEvent(receiveEvent({ token: 'not-the-token' }));
    expect(wrongToken.status).toBe(401);
    const unsigned = await post(good.body);
    expect(unsigned.status).toBe(401);
    const garbage = await post('this is not json{', { 'content-type': 'application/json' });
    expect(garbage.status).toBe(400);
    const tampered = Buffer.from(good.body);
    tampered[20] = tampered[20]! ^ 1;
    expect((await post(tampered, good.headers)).status).toBe(401);
    const schemaBroken = await postEvent({ schema: '2.0', header: { event_id: 'e', event_type: 'im.message.receive_v1', token: FEISHU.verificationToken }, event: {} });
    expect(schemaBroken.status).toBe(400);
    expect(await count('messages')).toBe(0);
    expect(await count('customers')).toBe(0);
    expect(await count('outbox')).toBe(0);
    const unknownShop = await fetch(`${svc.url}/webhooks/feishu/nope`, { method: 'POST', body: new Uint8Array(good.body), headers: good.headers });
    expect(unknownShop.status).toBe(404);
  });

  it('answers non-text messages with the playbook, and only @-mentions in groups', async () => {
    await postEvent(receiveEvent({ token: FEISHU.verificationToken, messageType: 'image', content: JSON.stringify({ image_key: 'img_1' }) }));
    await postEvent(receiveEvent({ token: FEISHU.verificationToken, chatType: 'group', chatId: 'oc_group', text: '大家好' }));
    await postEvent(receiveEvent({
      token: FEISHU.verificationToken, chatType: 'group', chatId: 'oc_group', text: '@_user_1 发票能开吗',
      mentions: [{ key: '@_user_1', id: { open_id: 'ou_bot' }, name: '店小二' }],
    }));
    // Two lines typed in Feishu arrive as rich text (post): answered by what they say.
    await postEvent(receiveEvent({
      token: FEISHU.verificationToken, chatId: 'oc_post', messageType: 'post',
      content: JSON.stringify({ title: '', content: [[{ tag: 'text', text: '你好' }], [{ tag: 'text', text: '可以开发票吗' }]] }),
    }));
    await svc.service.worker.tick();
    expect(fake.delivered.map((d) => [d.receiveId, d.text.slice(0, 8)])).toEqual([
      ['oc_chat1', expect.stringContaining('收到')],
      ['oc_group', expect.stringContaining('发票')],
      ['oc_post', expect.stringContaining('发票')],
    ]);
  });

  it('dead-letters after the configured attempts, counts it and logs shop and message without secrets', async () => {
    fake.script = Array.from({ length: 20 }, () => 503);
    await postEvent(receiveEvent({ token: FEISHU.verificationToken, text: '你好' }));
    for (let i = 0; i < 10; i++) {
      await svc.service.worker.tick();
      clock += 11 * 60_000;
    }
    const [row] = await listOutbox(svc.service.db.db);
    expect(row!.state).toBe('dead');
    expect(row!.attempts).toBe(8);
    const metrics = await (await fetch(`${svc.url}/metrics`)).text();
    expect(metrics).toMatch(/xiaoer_sends_total\{channel="feishu",outcome="dead"\} 1/);
    expect(metrics).toMatch(/xiaoer_outbox_messages\{state="dead"\} 1/);
    expect(metrics).toMatch(/xiaoer_webhooks_total\{platform="feishu",outcome="ok"\} 1/);
    expect(svc.logs.text).toMatch(/dead-lettered/);
    expect(svc.logs.text).toContain('"shop":"acme"');
    for (const secret of [FEISHU.appSecret, FEISHU.encryptKey, FEISHU.verificationToken, 't-fake-1']) {
      expect(svc.logs.text).not.toContain(secret);
    }
  });

  it('a restart resumes replies that were committed but not yet sent', async () => {
    fake.script = [502];
    await postEvent(receiveEvent({ token: FEISHU.verificationToken, text: '你好' }));
    await svc.service.worker.idle();
    await svc.close();
    expect(fake.delivered).toHaveLength(0);
    clock += 60_000;
    svc = await startService({ databaseUrl: dbUrl, feishuBase: fake.base, now: () => new Date(clock), random: () => 0 });
    await svc.service.worker.tick();
    expect(fake.delivered).toHaveLength(1);
  });

  it('waits out Feishu\'s 5 messages per second to one chat instead of bursting past it', async () => {
    for (const text of ['发票', '正品吗', '发什么快递', '什么时候发货', '尺码怎么选', '能退货吗', '改地址']) {
      await postEvent(receiveEvent({ token: FEISHU.verificationToken, text, chatId: 'oc_busy' }));
    }
    await svc.service.worker.tick();
    await svc.service.worker.idle();
    expect(fake.delivered).toHaveLength(5);
    const metrics = await (await fetch(`${svc.url}/metrics`)).text();
    expect(metrics).toMatch(/xiaoer_sends_total\{channel="feishu",outcome="throttled"\} [1-9]/);
    clock += 1000;
    await svc.service.worker.tick();
    expect(fake.delivered.map((d) => d.text.slice(0, 4))).toHaveLength(7);
    expect(new Set(fake.delivered.map((d) => d.uuid)).size).toBe(7);
  });

  it('healthz answers ok while the database answers, and 503 when it does not', async () => {
    const res = await fetch(`${svc.url}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
    await svc.service.db.close();
    const down = await fetch(`${svc.url}/healthz`);
    expect(down.status).toBe(503);
    expect(await down.json()).toMatchObject({ status: 'unavailable' });
    await svc.close().catch(() => undefined); // its database is already closed
    svc = await startService({ databaseUrl: dbUrl, feishuBase: fake.base, now: () => new Date(clock), random: () => 0 });
  });
});
