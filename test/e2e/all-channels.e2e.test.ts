import { encrypt, getSignature } from '@wecom/crypto';
import { describe, expect, it } from 'vitest';
import { platformSuite } from '../helpers/suite.js';
import type { Suite } from '../helpers/suite.js';
import { feishuBotSign } from '../../adapters/shared/robots.js';
import { insertAlert, listAlerts } from '../../src/db/alerts.js';
import { listOutbox } from '../../src/db/outbox.js';
import { MAX_ALERT_ATTEMPTS } from '../../src/scheduler/alert-worker.js';
import { DIALECTS, freshDatabaseUrl } from '../helpers/db.js';
import { DINGTALK, dingtalkMessage } from '../helpers/dingtalk.js';
import { FakePlatforms } from '../helpers/fake-platforms.js';
import { postOrderEvent } from '../helpers/orders.js';
import { allChannels, startService, writeConfig } from '../helpers/service.js';
import type { TestService } from '../helpers/service.js';
import { kfCustomerText, kfEnterSession, kfEvent, WECOM, wecomCallback, wecomText } from '../helpers/wecom.js';

const NOON = Date.parse('2026-11-27T04:00:00Z');
const ORDER_SECRET = 'order-webhook-secret-0123456789';

/** The shop's clock in seconds, a raw POST, and "let everything queued go out" for a suite. */
function helpers(t: Suite) {
  return {
    sec: () => Math.floor(t.clock / 1000),
    post: (path: string, body: string, headers: Record<string, string>) => fetch(`${t.svc.url}${path}`, { method: 'POST', body, headers }),
    settle: async () => {
      await t.svc.service.kf.idle();
      await t.svc.service.worker.tick();
      await t.svc.service.worker.idle();
      await t.svc.service.alerts.tick();
    },
  };
}

describe.each(DIALECTS)('one shop on every channel (%s)', (dialect) => {
  const t = platformSuite(dialect, { start: NOON, config: (fake) => writeConfig({ channels: allChannels(fake.base), businessHours: '{ from: "09:00", to: "23:00" }' }) });
  const { sec, post, settle } = helpers(t);

  it('answers the WeCom URL check with the bare decrypted echostr', async () => {
    const echostr = encrypt(WECOM.encodingAESKey, '8765309', WECOM.corpId);
    const q = new URLSearchParams({ msg_signature: getSignature(WECOM.token, String(sec()), 'n1', echostr), timestamp: String(sec()), nonce: 'n1', echostr });
    const res = await fetch(`${t.svc.url}/webhooks/wecom/acme?${q}`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('8765309');
    q.set('msg_signature', '0'.repeat(40));
    expect((await fetch(`${t.svc.url}/webhooks/wecom/acme?${q}`)).status).toBe(401);
  });

  it('greets once on WeCom, 微信客服 (welcome + message) and DingTalk under triple delivery', async () => {
    const wc = wecomCallback(wecomText('9001', 'zhangsan', '你好', sec()), sec());
    t.fake.kfItems.push(kfEnterSession('kf-ev-1', 'wmCust', 'WELCOME_CODE_1', sec()), kfCustomerText('kf-msg-1', 'wmCust', '在吗', sec()));
    const kf = wecomCallback(kfEvent('SYNC_TOKEN', sec()), sec());
    const dt = dingtalkMessage({ msgId: 'dt-1', text: '你好', base: t.fake.base, nowMs: t.clock });
    for (let i = 0; i < 3; i++) {
      const answers = await Promise.all([
        post(`/webhooks/wecom/acme?${wc.query}`, wc.body, { 'content-type': 'text/xml' }),
        post(`/webhooks/wecom/acme?${kf.query}`, kf.body, { 'content-type': 'text/xml' }),
        post('/webhooks/dingtalk/acme', dt.body, dt.headers),
      ]);
      expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);
      expect(await answers[0]!.text()).toBe(''); // WeCom wants an empty 200
    }
    await settle();
    const byPlatform = (p: string) => t.fake.sent.filter((s) => s.platform === p);
    expect(byPlatform('wecom').map((s) => [s.to, s.body.agentid])).toEqual([['zhangsan', WECOM.agentId]]);
    expect(byPlatform('wecom')[0]!.text).toMatch(/欢迎/);
    expect(byPlatform('kf-welcome').map((s) => s.to)).toEqual(['WELCOME_CODE_1']);
    expect(byPlatform('kf-welcome')[0]!.text).toMatch(/欢迎/);
    expect(byPlatform('kf').map((s) => [s.to, s.body.open_kfid])).toEqual([['wmCust', WECOM.openKfId]]);
    expect(byPlatform('dingtalk').map((s) => s.to)).toEqual(['s-dt-1']);
    expect(byPlatform('dingtalk')[0]!.text).toMatch(/欢迎/);
    // Three callbacks, three pulls, serialized: each resumed from the cursor the one before saved.
    expect(t.fake.kfSyncCalls.map((c) => c.cursor)).toEqual([null, '2', '2']);
  });

  it.runIf(dialect === 'postgres')('two instances pulling the same 微信客服 account take turns and read each message once', async () => {
    const second = await startService({ databaseUrl: t.dbUrl, feishuBase: t.fake.base, now: () => new Date(t.clock), random: () => 0,
      configFile: writeConfig({ channels: allChannels(t.fake.base), businessHours: '{ from: "09:00", to: "23:00" }' }) });
    try {
      t.fake.kfItems.push(kfCustomerText('kf-a', 'wmX', '发票', sec()), kfCustomerText('kf-b', 'wmX', '正品吗', sec()), kfCustomerText('kf-c', 'wmX', '尺码', sec()));
      const cb = wecomCallback(kfEvent('T9', sec()), sec());
      const [a, b] = await Promise.all([
        fetch(`${t.svc.url}/webhooks/wecom/acme?${cb.query}`, { method: 'POST', body: cb.body }),
        fetch(`${second.url}/webhooks/wecom/acme?${cb.query}`, { method: 'POST', body: cb.body }),
      ]);
      expect([a.status, b.status]).toEqual([200, 200]);
      await Promise.all([t.svc.service.kf.idle(), second.service.kf.idle()]);
      // One instance read the pages from the start; the other waited and went on from the saved cursor.
      expect(t.fake.kfSyncCalls.map((c) => c.cursor)).toEqual([null, '2', '3']);
      await settle();
      await second.service.worker.tick();
      expect(t.fake.sent.filter((s) => s.platform === 'kf')).toHaveLength(3);
    } finally {
      await second.close();
    }
  });

  it('DingTalk: text and a picture sent together (richText) are answered by what the text says', async () => {
    const m = dingtalkMessage({
      msgId: 'dt-rich', text: '', base: t.fake.base, nowMs: t.clock,
      richText: [{ text: '这个能开发票吗' }, { type: 'picture', downloadCode: 'dl-1', pictureDownloadCode: 'pdl-1' }],
    });
    expect((await post('/webhooks/dingtalk/acme', m.body, m.headers)).status).toBe(200);
    await settle();
    const sent = t.fake.sent.filter((s) => s.platform === 'dingtalk');
    expect(sent.map((s) => s.to)).toEqual(['s-dt-rich']);
    expect(sent[0]!.text).toMatch(/发票/);
  });

  it('微信客服: a reply outside the 48-hour window is recorded as skipped, not sent', async () => {
    t.fake.kfItems.push(kfCustomerText('kf-old', 'wmOld', '你好', sec() - 49 * 3600));
    const kf = wecomCallback(kfEvent('T2', sec()), sec());
    await post(`/webhooks/wecom/acme?${kf.query}`, kf.body, { 'content-type': 'text/xml' });
    await settle();
    expect(t.fake.sent.filter((s) => s.platform === 'kf')).toEqual([]);
    const rows = await listOutbox(t.svc.service.db.db, 'acme');
    expect(rows.map((r) => [r.state, r.lastError])).toEqual([['skipped', expect.stringMatching(/48 h reply window/)]]);
  });

  it('a handoff alerts staff on both robots with the conversation; the Feishu bot request is signed', async () => {
    const dt = (id: string, text: string) => dingtalkMessage({ msgId: id, text, base: t.fake.base, nowMs: t.clock });
    await post('/webhooks/dingtalk/acme', dt('d1', '你好').body, dt('d1', '你好').headers);
    await post('/webhooks/dingtalk/acme', dt('d2', '转人工').body, dt('d2', '转人工').headers);
    await settle();
    const robot = t.fake.sent.filter((s) => s.platform === 'wecom-robot');
    expect(robot).toHaveLength(1);
    expect(robot[0]!.to).toBe('robot-key-1');
    expect(robot[0]!.text).toMatch(/转人工[\s\S]*阿克米旗舰店[\s\S]*顾客：你好[\s\S]*顾客：转人工/);
    const bot = t.fake.sent.filter((s) => s.platform === 'feishu-bot');
    expect(bot).toHaveLength(1);
    expect(bot[0]!.body.sign).toBe(feishuBotSign(Number(bot[0]!.body.timestamp), 'bot-secret'));
    expect((await listAlerts(t.svc.service.db.db, 'acme'))[0]!.state).toBe('sent');
  });

  it('a robot that is down gets the alert when it is back, and the other robot gets it only once', async () => {
    t.fake.feishuBotFailures = 4; // the Feishu bot is down for its next four calls
    const m = dingtalkMessage({ msgId: 'r1', text: '转人工', base: t.fake.base, nowMs: t.clock });
    await post('/webhooks/dingtalk/acme', m.body, m.headers);
    await settle();
    let [alert] = await listAlerts(t.svc.service.db.db, 'acme');
    expect(alert).toMatchObject({ kind: 'handoff', state: 'pending', deliveredTo: ['wecom'], attempts: 1 });
    expect(alert!.lastError).toMatch(/Feishu bot: .*500/);
    await t.svc.service.alerts.tick();
    expect(t.fake.feishuBotCalls).toBe(1); // not retried before its backoff, though the clock ticks every second
    for (let i = 0; i < 10 && t.fake.sent.every((x) => x.platform !== 'feishu-bot'); i++) {
      t.clock += 60_000;
      await t.svc.service.alerts.tick();
    }
    expect(t.fake.feishuBotCalls).toBe(5);
    expect(t.fake.sent.filter((x) => x.platform === 'feishu-bot')).toHaveLength(1);
    expect(t.fake.sent.filter((x) => x.platform === 'wecom-robot')).toHaveLength(1);
    [alert] = await listAlerts(t.svc.service.db.db, 'acme');
    expect(alert).toMatchObject({ state: 'sent', deliveredTo: ['wecom', 'feishu'], attempts: 5 }); // four failed tries and the one that went through
  });

  it.runIf(dialect === 'postgres')('two instances deliver each alert once between them', async () => {
    const second = await startService({ databaseUrl: t.dbUrl, feishuBase: t.fake.base, now: () => new Date(t.clock), random: () => 0,
      configFile: writeConfig({ channels: allChannels(t.fake.base), businessHours: '{ from: "09:00", to: "23:00" }' }) });
    try {
      // Recorded while both were between ticks; then both instances' clocks tick at once.
      for (const i of [0, 1]) {
        await insertAlert(t.svc.service.db.db, { shopId: 'acme', kind: 'rule', rule: 'r', conversationKey: null, customerId: null, text: `提醒${i}号`, transcript: [], at: t.clock });
      }
      for (let round = 0; round < 3; round++) await Promise.all([t.svc.service.alerts.tick(), second.service.alerts.tick()]);
      const robot = t.fake.sent.filter((x) => x.platform === 'wecom-robot').map((x) => x.text).join('\n');
      for (const i of [0, 1]) expect(robot.split(`提醒${i}号`)).toHaveLength(2); // once each
      expect(t.fake.sent.filter((x) => x.platform === 'feishu-bot')).toHaveLength(1);
      expect((await listAlerts(t.svc.service.db.db, 'acme')).map((a) => a.state)).toEqual(['sent', 'sent']);
    } finally {
      await second.close();
    }
  });

  it('gives up on a robot that never answers after its tries, keeping the alert listed as failed', async () => {
    t.fake.feishuBotFailures = 1_000;
    const m = dingtalkMessage({ msgId: 'r2', text: '转人工', base: t.fake.base, nowMs: t.clock });
    await post('/webhooks/dingtalk/acme', m.body, m.headers);
    await settle();
    for (let i = 0; i < MAX_ALERT_ATTEMPTS + 5; i++) {
      t.clock += 11 * 60_000;
      await t.svc.service.alerts.tick();
    }
    expect(t.fake.feishuBotCalls).toBe(MAX_ALERT_ATTEMPTS);
    expect(t.fake.sent.filter((x) => x.platform === 'wecom-robot')).toHaveLength(1);
    const [alert] = await listAlerts(t.svc.service.db.db, 'acme');
    expect(alert).toMatchObject({ state: 'failed', deliveredTo: ['wecom'], attempts: MAX_ALERT_ATTEMPTS });
    const metrics = await (await fetch(`${t.svc.url}/metrics`)).text();
    expect(metrics).toMatch(/^xiaoer_alerts_undelivered\{state="failed"\} 1$/m);
    expect(metrics).toMatch(/^xiaoer_alerts_undelivered\{state="pending"\} 0$/m);
  });

  it("alerts of a shop taken out of the configuration are marked failed and do not hold up the others", async () => {
    const db = t.svc.service.db.db;
    for (let i = 0; i < 120; i++) { // more than one tick looks at
      await insertAlert(db, { shopId: 'gone', kind: 'rule', rule: null, conversationKey: null, customerId: null, text: `旧店提醒${i}`, transcript: [], at: t.clock });
    }
    await insertAlert(db, { shopId: 'acme', kind: 'rule', rule: 'r', conversationKey: null, customerId: null, text: '本店提醒', transcript: [], at: t.clock });
    await t.svc.service.alerts.tick();
    await t.svc.service.alerts.tick();
    expect(t.fake.sent.filter((x) => x.platform === 'wecom-robot').map((x) => x.text).join()).toContain('本店提醒');
    const gone = await listAlerts(db, 'gone', 200);
    expect(gone.every((a) => a.state === 'failed' && /no longer in the configuration/.test(a.lastError ?? ''))).toBe(true);
  });

  it('robot rate limits are met by batching, never by dropping', async () => {
    for (let i = 0; i < 25; i++) {
      const m = dingtalkMessage({ msgId: `h${i}`, text: '转人工', base: t.fake.base, nowMs: t.clock, staffId: `staff${i}` });
      await post('/webhooks/dingtalk/acme', m.body, m.headers);
      await t.svc.service.alerts.tick(); // staff robots are called as alerts arrive
    }
    await settle();
    const robot = t.fake.sent.filter((s) => s.platform === 'wecom-robot');
    expect(robot.length).toBeLessThanOrEqual(20);
    const mentioned = robot.map((r) => r.text).join('\n');
    for (let i = 0; i < 20; i++) expect(mentioned).toContain(`dingtalk:cidP2P==:staff${i}\n`);
    const pending = (await listAlerts(t.svc.service.db.db, 'acme', 100)).filter((a) => a.state === 'pending');
    t.clock += 61_000; // the next minute: the rest go out together
    await t.svc.service.alerts.tick();
    const later = t.fake.sent.filter((s) => s.platform === 'wecom-robot').slice(robot.length);
    expect(pending.length).toBeGreaterThan(0);
    expect(later).toHaveLength(1);
    for (const a of pending) expect(later[0]!.text).toContain(`${a.conversationKey}\n`);
  });

  it('a dead-lettered reply alerts staff; a failing robot never blocks customer replies', async () => {
    t.fake.script = Array.from({ length: 30 }, () => 503);
    const wc = wecomCallback(wecomText('9100', 'lisi', '你好', sec()), sec());
    await post(`/webhooks/wecom/acme?${wc.query}`, wc.body, { 'content-type': 'text/xml' });
    for (let i = 0; i < 10; i++) {
      await t.svc.service.worker.tick();
      t.clock += 11 * 60_000;
    }
    await t.svc.service.worker.idle();
    const [alert] = await listAlerts(t.svc.service.db.db, 'acme');
    expect(alert).toMatchObject({ kind: 'dead_letter', customerId: 'lisi' });
    expect(alert!.text).toMatch(/没有送达/);
  });
});

describe.each(DIALECTS)('staff desk replies on every channel (%s)', (dialect) => {
  const t = platformSuite(dialect, {
    start: NOON,
    config: (fake) => writeConfig({ channels: allChannels(fake.base), extra: `    desk: { password: desk-password-0123 }\n    orderWebhookSecret: ${ORDER_SECRET}\n`, businessHours: '{ from: "09:00", to: "23:00" }' }),
  });
  const { sec, post, settle } = helpers(t);
  const auth = { authorization: `Basic ${Buffer.from('小王:desk-password-0123').toString('base64')}` };

  it('a person answers 微信客服, WeCom and DingTalk customers from the desk, each through its own platform', async () => {
    const wc = wecomCallback(wecomText('9101', 'zhangsan', '转人工', sec()), sec());
    t.fake.kfItems.push(kfCustomerText('kf-h1', 'wmCust', '转人工', sec()));
    const kf = wecomCallback(kfEvent('SYNC_TOKEN', sec()), sec());
    const dt = dingtalkMessage({ msgId: 'dt-h1', text: '转人工', base: t.fake.base, nowMs: t.clock });
    await post(`/webhooks/wecom/acme?${wc.query}`, wc.body, { 'content-type': 'text/xml' });
    await post(`/webhooks/wecom/acme?${kf.query}`, kf.body, { 'content-type': 'text/xml' });
    await post('/webhooks/dingtalk/acme', dt.body, dt.headers);
    await settle();

    const list = (await (await fetch(`${t.svc.url}/desk/acme/api/conversations`, { headers: auth })).json()) as { conversations: { id: number; channel: string }[] };
    expect(list.conversations.map((c) => c.channel).sort()).toEqual(['dingtalk', 'wecom', 'wecomKf']);
    for (const c of list.conversations) {
      const res = await fetch(`${t.svc.url}/desk/acme/api/conversations/${c.id}/reply`, {
        method: 'POST', body: JSON.stringify({ text: `人工回复 ${c.channel}` }), headers: { ...auth, 'content-type': 'application/json', 'x-xiaoer-desk': '1' },
      });
      expect(res.status).toBe(202);
    }
    await settle();
    const sent = t.fake.sent.filter((s) => s.text.startsWith('人工回复')).map((s) => [s.platform, s.to, s.text]).sort(); // robots' alerts aside
    expect(sent).toEqual([
      ['dingtalk', 's-dt-h1', '人工回复 dingtalk'],
      ['kf', 'wmCust', '人工回复 wecomKf'],
      ['wecom', 'zhangsan', '人工回复 wecom'],
    ]);
    expect(t.fake.sent.find((s) => s.text === '人工回复 wecomKf')!.body.open_kfid).toBe(WECOM.openKfId);

    // Given back and handed over again: the staff robot quotes who said what, the person by name.
    const wecomConv = list.conversations.find((c) => c.channel === 'wecom')!;
    await fetch(`${t.svc.url}/desk/acme/api/conversations/${wecomConv.id}/release`, { method: 'POST', body: '{}', headers: { ...auth, 'content-type': 'application/json', 'x-xiaoer-desk': '1' } });
    const again = wecomCallback(wecomText('9102', 'zhangsan', '还是要人工', sec()), sec());
    await post(`/webhooks/wecom/acme?${again.query}`, again.body, { 'content-type': 'text/xml' });
    await settle();
    const robot = t.fake.sent.filter((s) => s.platform === 'wecom-robot').map((s) => s.text).join('\n');
    expect(robot).toContain('> 店员 小王：人工回复 wecom');
    expect(robot).toContain('> 顾客：还是要人工');
  });

  it('after the session webhook expired, DingTalk replies go through the robot API: one-on-one, in the group, and order care', async () => {
    const one = dingtalkMessage({ msgId: 'dt-o1', text: '转人工', base: t.fake.base, nowMs: t.clock });
    const grp = dingtalkMessage({ msgId: 'dt-g1', text: '转人工', base: t.fake.base, nowMs: t.clock, group: true, staffId: 'staff02' });
    await post('/webhooks/dingtalk/acme', one.body, one.headers);
    await post('/webhooks/dingtalk/acme', grp.body, grp.headers);
    await settle();
    expect(t.fake.sent.filter((s) => s.platform === 'dingtalk')).toHaveLength(2); // the handoff replies, by webhook

    t.clock += 100 * 60_000; // the webhooks lasted 90 minutes; the bot stays quiet for 120
    const list = (await (await fetch(`${t.svc.url}/desk/acme/api/conversations`, { headers: auth })).json()) as { conversations: { id: number; customer: { userId: string } }[] };
    for (const c of list.conversations) {
      const res = await fetch(`${t.svc.url}/desk/acme/api/conversations/${c.id}/reply`, {
        method: 'POST', body: JSON.stringify({ text: `您好，我是小王（${c.customer.userId}）` }), headers: { ...auth, 'content-type': 'application/json', 'x-xiaoer-desk': '1' },
      });
      expect(res.status).toBe(202);
    }
    expect((await postOrderEvent(t.svc.url, ORDER_SECRET, {
      id: 'dt-shipped', type: 'order.shipped', at: t.clock,
      order: { id: 'DT1', customer: { channel: 'dingtalk', userId: 'staff01' }, courier: '顺丰', trackingNo: 'SF100' },
    })).status).toBe(202);
    expect((await postOrderEvent(t.svc.url, ORDER_SECRET, { // the customer who wrote in the group: care is theirs alone
      id: 'dt-shipped-2', type: 'order.shipped', at: t.clock,
      order: { id: 'DT2', customer: { channel: 'dingtalk', userId: 'staff02' }, courier: '顺丰', trackingNo: 'SF200' },
    })).status).toBe(202);
    await settle();
    const api = t.fake.sent.filter((s) => s.platform === 'dingtalk-api');
    expect(api.filter((s) => s.text.startsWith('您好，我是小王')).map((s) => [s.to, s.text]).sort()).toEqual([
      ['group:cidGroup==', '您好，我是小王（staff02）'], // where the customer wrote: the group
      ['staff01', '您好，我是小王（staff01）'],
    ]);
    expect(api.find((s) => s.text.includes('SF100'))).toMatchObject({ to: 'staff01', body: { robotCode: DINGTALK.robotCode, msgKey: 'sampleText' } });
    expect(api.find((s) => s.text.includes('SF200'))).toMatchObject({ to: 'staff02' });
    expect((await listOutbox(t.svc.service.db.db, 'acme')).filter((r) => r.channel === 'dingtalk').map((r) => r.state)).not.toContain('skipped');
  });

  it("a DingTalk customer's pictures are shown at the desk: the downloadCode exchanged with the app's token, then read", async () => {
    t.fake.media.set('dl-photo', { type: 'image/jpeg', data: Buffer.from('ffd8ffe000104a464946', 'hex') });
    const m = dingtalkMessage({
      msgId: 'dt-pic', text: '', base: t.fake.base, nowMs: t.clock,
      richText: [{ text: '收到的杯子裂了' }, { type: 'picture', downloadCode: 'dl-photo', pictureDownloadCode: 'pdl-photo' }, { type: 'picture', downloadCode: 'dl-expired' }],
    });
    expect((await post('/webhooks/dingtalk/acme', m.body, m.headers)).status).toBe(200);
    await settle();
    const found = (await (await fetch(`${t.svc.url}/desk/acme/api/conversations?customer=staff01`, { headers: auth })).json()) as { conversations: { id: number }[] };
    const { messages } = (await (await fetch(`${t.svc.url}/desk/acme/api/conversations/${found.conversations[0]!.id}`, { headers: auth })).json()) as {
      messages: { id: number; text: string | null; media: { kind: string }[] }[];
    };
    const pic = messages.find((x) => x.text === '收到的杯子裂了')!;
    expect(pic.media).toEqual([{ kind: 'image', name: null }, { kind: 'image', name: null }]);
    const photo = await fetch(`${t.svc.url}/desk/acme/api/messages/${pic.id}/media/0`, { headers: auth });
    expect(photo.status).toBe(200);
    expect(photo.headers.get('content-type')).toBe('image/jpeg');
    // A token DingTalk revoked early is fetched again once, and the picture still comes.
    t.fake.revoked.add('ding-token-1');
    expect((await fetch(`${t.svc.url}/desk/acme/api/messages/${pic.id}/media/0`, { headers: auth })).status).toBe(200);
    expect(t.fake.dingtalkTokensIssued).toBe(2);
    t.fake.mediaCalls.splice(1, 1);
    const expired = await fetch(`${t.svc.url}/desk/acme/api/messages/${pic.id}/media/1`, { headers: auth });
    expect(expired.status).toBe(404);
    expect(((await expired.json()) as { reason: string }).reason).toMatch(/downloadCode有误或已过期/);
    expect(t.fake.mediaCalls).toEqual([`dingtalk:${DINGTALK.robotCode}:dl-photo`, `dingtalk:${DINGTALK.robotCode}:dl-expired`]);
  });
});
