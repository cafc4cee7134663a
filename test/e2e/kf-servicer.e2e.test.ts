import { describe, expect, it } from 'vitest';
import { listAlerts } from '../../src/db/alerts.js';
import { listConversationMessages } from '../../src/db/messages.js';
import { listOutbox } from '../../src/db/outbox.js';
import type { ShopConfig } from '../../src/config/schema.js';
import { buildReport } from '../../src/report/index.js';
import { reportPeriod } from '../../src/report/period.js';
import { STAFF_RULE } from '../../src/db/desk.js';
import { KF_END_SESSION_NOTE, KF_SESSION_MAX_MS } from '../../src/engine/kf-servicer.js';
import { DIALECTS } from '../helpers/db.js';
import { platformSuite } from '../helpers/suite.js';
import { allChannels, startService, writeConfig } from '../helpers/service.js';
import { kfCustomerText, kfEvent, kfSendFail, kfServicerText, kfSessionChange, WECOM, wecomCallback } from '../helpers/wecom.js';

const NOON = Date.parse('2026-11-27T04:00:00Z');

/**
 * 微信客服 sessions a 接待人员 serves in the WeCom client: their messages and session changes
 * come through the same sync_msg stream, and the bot must neither talk over them nor stay
 * silent after they are done.
 */
describe.each(DIALECTS)('微信客服 with 接待人员 in the WeCom client (%s)', (dialect) => {
  const t = platformSuite(dialect, { start: NOON, config: (fake) => writeConfig({ channels: allChannels(), businessHours: '{ from: "09:00", to: "23:00" }' }) });
  const sec = () => Math.floor(t.clock / 1000);
  let token = 0;
  /** The platform announces waiting messages; the service pulls them and sends what it queued. */
  async function callback() {
    const cb = wecomCallback(kfEvent(`SYNC_${++token}`, sec()), sec());
    const res = await fetch(`${t.svc.url}/webhooks/wecom/acme?${cb.query}`, { method: 'POST', body: cb.body, headers: { 'content-type': 'text/xml' } });
    expect(res.status).toBe(200);
    await t.svc.service.kf.idle();
    await t.svc.service.worker.tick();
    await t.svc.service.worker.idle();
  }
  const botReplies = () => t.fake.sent.filter((s) => s.platform === 'kf').map((s) => s.text);
  async function transcript() {
    const db = t.svc.service.db.db;
    const conv = await db.selectFrom('conversations').select('id').where('key', '=', `wecomKf:${WECOM.openKfId}:wmAmy`).executeTakeFirstOrThrow();
    return (await listConversationMessages(db, Number(conv.id))).map((m) => [m.direction, m.rule === STAFF_RULE ? `staff:${m.response}` : 'bot/customer', m.text]);
  }

  it('a person replying in the WeCom client silences the bot; the session ending gives the customer back to it', async () => {
    t.fake.kfItems.push(kfCustomerText('c1', 'wmAmy', '在吗', sec()));
    await callback();
    expect(botReplies()).toHaveLength(1);

    t.fake.kfItems.push(kfServicerText('s1', 'wmAmy', 'lisi', '您好，我是客服小李，请问有什么可以帮您？', sec()), kfCustomerText('c2', 'wmAmy', '我要退货', sec()));
    await callback();
    expect(botReplies()).toHaveLength(1); // the bot did not talk over 小李

    t.clock += 3 * 60 * 60_000; // longer than the playbook's silence: the person is gone quiet, the session not ended
    t.fake.kfItems.push(kfSessionChange('e1', 'wmAmy', 3, { old: 'lisi' }, sec()), kfCustomerText('c3', 'wmAmy', '你好', sec()));
    await callback();
    expect(botReplies()).toHaveLength(2);

    const rows = await transcript();
    expect(rows.filter((r) => r[1] === 'staff:lisi')).toEqual([['out', 'staff:lisi', '您好，我是客服小李，请问有什么可以帮您？']]);
    expect(rows.filter((r) => r[0] === 'in').map((r) => r[2])).toEqual(['在吗', '我要退货', '你好']);
  });

  it('by default a handoff leaves the session with the API: staff answer at the desk, nothing is transferred', async () => {
    t.fake.kfItems.push(kfCustomerText('h0', 'wmAmy', '转人工', sec()));
    await callback();
    expect(botReplies()).toHaveLength(1);
    expect(t.fake.sent.filter((s) => s.platform === 'kf-trans')).toEqual([]);
  });

  it("a person's message read twice (a re-read page after a crash) is stored once", async () => {
    t.fake.kfIgnoreCursor = true; // every pull reads from the start, as after a cursor that was never saved
    t.fake.kfItems.push(kfServicerText('s9', 'wmAmy', 'lisi', '亲，已为您备注加急', sec()));
    await callback();
    await callback();
    expect((await transcript()).filter((r) => r[1] === 'staff:lisi')).toHaveLength(1);
  });

  it('a session taken from the pool keeps the bot silent until it ends, and never past the 48-hour session', async () => {
    t.fake.kfItems.push(kfSessionChange('e2', 'wmAmy', 1, { new: 'wangwu' }, sec()), kfCustomerText('c4', 'wmAmy', '发什么快递', sec()));
    await callback();
    t.clock += 5 * 60 * 60_000; // hours later, nobody has written yet: the session is still 王五's
    t.fake.kfItems.push(kfCustomerText('c5', 'wmAmy', '还在吗', sec()));
    await callback();
    expect(botReplies()).toEqual([]);
    const desk = await t.svc.service.db.db.selectFrom('conversations').select(['state', 'handoff_until']).executeTakeFirstOrThrow();
    expect(JSON.parse(desk.state).handoffBy).toBe('wangwu');
    expect(Number(desk.handoff_until)).toBe(NOON + KF_SESSION_MAX_MS);

    t.clock = NOON + KF_SESSION_MAX_MS + 60_000;
    t.fake.kfItems.push(kfCustomerText('c6', 'wmAmy', '发什么快递', sec()));
    await callback();
    expect(botReplies()).toHaveLength(1);
  });

  it("a person's time is counted from when they took the session, not from a later pull", async () => {
    const tookAt = sec() - 5 * 3600; // the callback was lost; the event is read five hours late
    t.fake.kfItems.push(kfSessionChange('e5', 'wmAmy', 1, { new: 'zhaoliu' }, tookAt));
    await callback();
    const row = await t.svc.service.db.db.selectFrom('conversations').select(['handoff_until', 'handed_off_at']).executeTakeFirstOrThrow();
    expect(Number(row.handoff_until)).toBe(tookAt * 1000 + KF_SESSION_MAX_MS);
    expect(Number(row.handed_off_at)).toBe(tookAt * 1000);
  });

  it('a reply 微信客服 accepted but later could not deliver (msg_send_fail) is marked undelivered and staff are alerted', async () => {
    t.fake.kfItems.push(kfCustomerText('c8', 'wmAmy', '在吗', sec()));
    await callback();
    const [sent] = t.fake.sent.filter((s) => s.platform === 'kf');
    expect((await listOutbox(t.svc.service.db.db, 'acme'))[0]!.state).toBe('sent');

    // One failure for a message of ours, one for a message a person sent from the WeCom client (not ours).
    t.fake.kfItems.push(kfSendFail('f1', 'wmAmy', String(sent!.body.msgid), 10, sec()), kfSendFail('f2', 'wmAmy', 'client-msg-1', 10, sec()));
    await callback();
    const [row] = await listOutbox(t.svc.service.db.db, 'acme');
    expect(row).toMatchObject({ state: 'dead' });
    expect(row!.lastError).toMatch(/msg_send_fail, fail_type 10: 用户拒收/);
    const alerts = (await listAlerts(t.svc.service.db.db, 'acme')).filter((a) => a.kind === 'dead_letter');
    expect(alerts).toHaveLength(1);
    expect(alerts[0]!.text).toMatch(/^消息发送失败：给顾客 wmAmy（wecomKf）的回复没有送达（微信客服 could not deliver it/);
  });

  it('a reply the platform refuses because a person holds the session (95018) is dead-lettered with the reason', async () => {
    t.fake.script = [{ code: 95018 }];
    t.fake.kfItems.push(kfCustomerText('c7', 'wmAmy', '在吗', sec()));
    await callback();
    const [row] = await listOutbox(t.svc.service.db.db, 'acme');
    expect(row).toMatchObject({ state: 'dead', attempts: 1 });
    expect(row!.lastError).toMatch(/95018.*接待人员.*待接入池/);
    const [alert] = (await listAlerts(t.svc.service.db.db, 'acme')).filter((a) => a.kind === 'dead_letter');
    expect(alert!.text).toMatch(/接待人员在接待这位顾客，机器人已在此会话静默/);
    // The bot goes quiet there: the customer's next messages are not answered into another refusal.
    t.fake.kfItems.push(kfCustomerText('c7b', 'wmAmy', '人呢', sec()), kfCustomerText('c7c', 'wmAmy', '发什么快递', sec()));
    await callback();
    expect(await listOutbox(t.svc.service.db.db, 'acme')).toHaveLength(1);
    expect((await listAlerts(t.svc.service.db.db, 'acme')).filter((a) => a.kind === 'dead_letter')).toHaveLength(1);
  });
});

describe.each(DIALECTS)('微信客服 handoffs passed to 接待人员 (%s)', (dialect) => {
  let handoffTo = 'pool';
  const t = platformSuite(dialect, {
    start: NOON,
    config: () => writeConfig({
      channels: allChannels().replace(`wecomKf: { openKfId: ${WECOM.openKfId} }`, `wecomKf: { openKfId: ${WECOM.openKfId}, handoffTo: ${handoffTo} }`),
      businessHours: '{ from: "09:00", to: "23:00" }',
      extra: '    desk: { password: desk-password-0123 }\n',
    }),
  });
  const auth = { authorization: `Basic ${Buffer.from('小王:desk-password-0123').toString('base64')}` };
  /** The desk's transcript of the customer's conversation: who wrote, what, and its delivery. */
  async function deskTranscript() {
    const { conversations } = (await (await fetch(`${t.svc.url}/desk/acme/api/conversations?customer=wmBen`, { headers: auth })).json()) as { conversations: { id: number }[] };
    const { messages } = (await (await fetch(`${t.svc.url}/desk/acme/api/conversations/${conversations[0]!.id}`, { headers: auth })).json()) as {
      messages: { direction: string; kind: string; text: string; delivery: string | null }[];
    };
    return messages.map((m) => [m.direction, m.kind, m.text, m.delivery]);
  }
  const sec = () => Math.floor(t.clock / 1000);
  async function customerSays(msgid: string, text: string) {
    t.fake.kfItems.push(kfCustomerText(msgid, 'wmBen', text, sec()));
    const cb = wecomCallback(kfEvent(`T_${msgid}`, sec()), sec());
    expect((await fetch(`${t.svc.url}/webhooks/wecom/acme?${cb.query}`, { method: 'POST', body: cb.body })).status).toBe(200);
    await t.svc.service.kf.idle();
    await t.svc.service.worker.tick();
    await t.svc.service.worker.idle();
  }
  const calls = () => t.fake.sent.filter((s) => s.platform === 'kf' || s.platform === 'kf-trans').map((s) => [s.platform, s.platform === 'kf' ? 'reply' : s.body]);

  it('pool: the handoff reply goes first, then the session moves to the 待接入池, and staff are told where to pick it up', async () => {
    await customerSays('p1', '转人工');
    expect(calls()).toEqual([
      ['kf', 'reply'],
      ['kf-trans', { open_kfid: WECOM.openKfId, external_userid: 'wmBen', service_state: 2 }],
    ]);
    const [alert] = await listAlerts(t.svc.service.db.db, 'acme');
    expect(alert!.text).toMatch(/转人工.*已转入微信客服待接入池，请在企业微信客户端接入回复/);
    t.clock += 3 * 60 * 60_000; // longer than the playbook's silence: nobody took the session from the pool yet
    await customerSays('p2', '人呢');
    expect(calls()).toHaveLength(2); // the bot stays silent (the API may not answer in a transferred session)
    // At the desk the transfer shows between the bot's reply and the customer's next message.
    expect((await deskTranscript()).slice(-3)).toEqual([
      ['out', 'text', expect.any(String), 'sent'], ['out', 'event', '已转入微信客服待接入池', 'sent'], ['in', 'text', '人呢', null],
    ]);
  });

  it('pool: a transfer the platform refuses is dead-lettered and staff are told to take the customer by hand', async () => {
    t.fake.kfTransCode = 95016;
    await customerSays('p3', '转人工');
    const rows = await listOutbox(t.svc.service.db.db, 'acme');
    expect(rows.map((r) => r.state)).toEqual(['sent', 'dead']);
    expect(rows[1]!.lastError).toMatch(/transfer to the 待接入池 refused: WeCom errcode 95016/);
    const alerts = await listAlerts(t.svc.service.db.db, 'acme');
    expect(alerts.find((a) => a.kind === 'dead_letter')!.text).toMatch(/^转接失败：顾客 wmBen（wecomKf）没能转给人工.*请在接待台 \/desk\/acme 回复，也可以在企业微信客户端手动接入该顾客/);
    // The session is still the API's: the bot is silent as after any handoff, not for the session's 48 hours.
    const conv = await t.svc.service.db.db.selectFrom('conversations').select('handoff_until').executeTakeFirstOrThrow();
    expect(Number(conv.handoff_until)).toBe(t.clock + 120 * 60_000);
  });

  /** The desk's 交还机器人 for the customer's conversation, and the outbox run that follows it. */
  async function releaseAtDesk() {
    const { conversations } = (await (await fetch(`${t.svc.url}/desk/acme/api/conversations?customer=wmBen`, { headers: auth })).json()) as { conversations: { id: number }[] };
    const res = await fetch(`${t.svc.url}/desk/acme/api/conversations/${conversations[0]!.id}/release`, {
      method: 'POST', body: '{}', headers: { ...auth, 'content-type': 'application/json', 'x-xiaoer-desk': '1' },
    });
    expect(res.status).toBe(200);
    await t.svc.service.worker.tick();
    await t.svc.service.worker.idle();
  }
  const stateCalls = () => t.fake.sent.filter((s) => s.platform === 'kf-state' || s.platform === 'kf-trans').map((s) => [s.platform, s.body.service_state ?? null]);

  it('交还机器人 after a 接待人员 took the customer ends their session, so the bot can answer the next message', async () => {
    await customerSays('g1', '转人工');
    // 小李 takes the customer from the pool in the WeCom client.
    t.fake.kfItems.push(kfSessionChange('g1-took', 'wmBen', 1, { new: 'lisi' }, sec()));
    t.fake.kfServiceState = 3;
    await customerSays('g2', '好的谢谢');
    expect(calls().filter((c) => c[0] === 'kf')).toHaveLength(1); // only the handoff reply

    await releaseAtDesk();
    expect(stateCalls()).toEqual([['kf-trans', 2], ['kf-state', null], ['kf-trans', 4]]);
    expect(t.fake.kfServiceState).toBe(4);
    await customerSays('g3', '发什么快递');
    expect(calls().filter((c) => c[0] === 'kf')).toHaveLength(2); // the bot answers, and the platform took it
    expect((await listOutbox(t.svc.service.db.db, 'acme')).map((r) => r.state)).toEqual(['sent', 'sent', 'sent', 'sent']);
    expect((await deskTranscript()).filter((m) => m[1] === 'event')).toEqual([
      ['out', 'event', '已转入微信客服待接入池', 'sent'], ['out', 'event', KF_END_SESSION_NOTE, 'sent'],
    ]);
    // Recorded as 小王's act, but no reply: the week's figures count no staff reply for it.
    const shop = { id: 'acme', name: '阿克米', timezone: 'Asia/Shanghai' } as ShopConfig; // what the report reads of a shop
    const report = await buildReport(t.svc.service.db.db, shop, null, reportPeriod({ days: '1' }, shop.timezone, t.clock + 60_000));
    expect(report.staff).toMatchObject({ handoffs: 1, answered: 0, replies: 0 });
  });

  it('交还机器人 while the customer still waits in the 待接入池: the API cannot end it, so the bot stays quiet and staff are told what to do', async () => {
    await customerSays('w1', '转人工');
    await releaseAtDesk();
    expect(stateCalls()).toEqual([['kf-trans', 2], ['kf-state', null]]); // no trans to 4 from the pool
    const rows = await listOutbox(t.svc.service.db.db, 'acme');
    expect(rows.at(-1)).toMatchObject({ state: 'dead' });
    expect(rows.at(-1)!.lastError).toMatch(/待接入池.*cannot end/);
    const alert = (await listAlerts(t.svc.service.db.db, 'acme')).find((a) => a.kind === 'dead_letter');
    expect(alert!.text).toMatch(/^结束会话失败：顾客 wmBen（wecomKf）已交还机器人.*已在此会话静默：请在企业微信客户端接入该顾客并结束会话/);
    await customerSays('w2', '在吗');
    expect(calls().filter((c) => c[0] === 'kf')).toHaveLength(1); // not answered into a refusal
  });

  it('a session the API still has (the transfer was refused) is given back without ending anything', async () => {
    t.fake.kfTransCode = 95016;
    await customerSays('a1', '转人工');
    await releaseAtDesk();
    expect(stateCalls()).toEqual([['kf-trans', 2], ['kf-state', null]]); // read, found the API's, left alone
    expect((await listOutbox(t.svc.service.db.db, 'acme')).map((r) => r.state)).toEqual(['sent', 'dead', 'sent']);
    await customerSays('a2', '发什么快递');
    expect(calls().filter((c) => c[0] === 'kf')).toHaveLength(2);
  });

  it("a new customer is named by their WeChat nickname (once), for the desk, alerts and later replies", async () => {
    t.fake.kfNicknames.set('wmBen', '本杰明');
    await customerSays('nn1', '在吗');
    await customerSays('nn2', '发什么快递');
    expect(t.fake.kfCustomerCalls).toEqual([['wmBen']]); // named after the first message; not asked again
    const { conversations } = (await (await fetch(`${t.svc.url}/desk/acme/api/conversations?customer=wmBen`, { headers: auth })).json()) as { conversations: { customer: { name: string | null } }[] };
    expect(conversations[0]!.customer.name).toBe('本杰明');
    await customerSays('nn3', '转人工');
    expect((await listAlerts(t.svc.service.db.db, 'acme')).find((a) => a.kind === 'handoff')!.text).toContain('本杰明');
  });

  it('a customer the platform gives no name for stays unnamed, and replies are not held up', async () => {
    await customerSays('nx1', '在吗');
    expect(calls().filter((c) => c[0] === 'kf')).toHaveLength(1);
    expect(t.fake.kfCustomerCalls).toEqual([['wmBen']]);
    await customerSays('nx2', '在吗');
    expect(t.fake.kfCustomerCalls).toHaveLength(2); // asked again with the next message, in case it was a passing failure
  });

  it("a customer's photo is shown at the desk from WeCom's media store, and after WeCom's 3 days it says so", async () => {
    await customerSays('m0', '在吗');
    t.fake.media.set('MEDIA_CUP', { type: 'image/jpeg', data: Buffer.from('ffd8ffe000104a464946', 'hex') });
    for (const [msgid, mediaId] of [['m1', 'MEDIA_CUP'], ['m2', 'MEDIA_OLD']]) {
      t.fake.kfItems.push({ msgid, open_kfid: WECOM.openKfId, external_userid: 'wmBen', send_time: sec(), origin: 3, msgtype: 'image', image: { media_id: mediaId } });
    }
    const cb = wecomCallback(kfEvent('T_media', sec()), sec());
    expect((await fetch(`${t.svc.url}/webhooks/wecom/acme?${cb.query}`, { method: 'POST', body: cb.body })).status).toBe(200);
    await t.svc.service.kf.idle();
    const { conversations } = (await (await fetch(`${t.svc.url}/desk/acme/api/conversations?customer=wmBen`, { headers: auth })).json()) as { conversations: { id: number }[] };
    const { messages } = (await (await fetch(`${t.svc.url}/desk/acme/api/conversations/${conversations[0]!.id}`, { headers: auth })).json()) as {
      messages: { id: number; direction: string; media: { kind: string }[] }[];
    };
    const photos = messages.filter((m) => m.media.length);
    expect(photos.map((m) => m.media)).toEqual([[{ kind: 'image', name: null }], [{ kind: 'image', name: null }]]);
    const fresh = await fetch(`${t.svc.url}/desk/acme/api/messages/${photos[0]!.id}/media/0`, { headers: auth });
    expect(fresh.status).toBe(200);
    expect(fresh.headers.get('content-type')).toBe('image/jpeg');
    const old = await fetch(`${t.svc.url}/desk/acme/api/messages/${photos[1]!.id}/media/0`, { headers: auth });
    expect(old.status).toBe(404);
    expect(((await old.json()) as { reason: string }).reason).toMatch(/no longer has it \(platform code 40007.*3 days/);
    expect(t.fake.mediaCalls).toEqual(['wecom:MEDIA_CUP', 'wecom:MEDIA_OLD']);
    // The handoff alert tells staff photos came, and where to see them.
    await customerSays('m3', '收到的杯子裂了');
    const alert = (await listAlerts(t.svc.service.db.db, 'acme')).find((a) => a.kind === 'handoff')!;
    expect(alert.transcript.filter((l) => l.who === 'customer').map((l) => l.text)).toEqual([
      '在吗', '[图片，在接待台或平台客户端查看]', '[图片，在接待台或平台客户端查看]', '收到的杯子裂了',
    ]);
  });

  it('a named 接待人员: the session goes straight to them', async () => {
    handoffTo = '{ servicer: lisi }';
    try {
      await t.svc.close();
      t.svc = await startService({
        databaseUrl: t.dbUrl, feishuBase: t.fake.base, now: () => new Date(t.clock), random: () => 0,
        configFile: writeConfig({ channels: allChannels().replace(`wecomKf: { openKfId: ${WECOM.openKfId} }`, `wecomKf: { openKfId: ${WECOM.openKfId}, handoffTo: ${handoffTo} }`) }),
      });
      await customerSays('n1', '转人工');
      expect(calls().at(-1)).toEqual(['kf-trans', { open_kfid: WECOM.openKfId, external_userid: 'wmBen', service_state: 3, servicer_userid: 'lisi' }]);
    } finally {
      handoffTo = 'pool';
    }
  });
});
