import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { runReport } from '../../src/cli/report.js';
import { dismissMessage, recordLesson } from '../../src/db/lessons.js';
import type { ShopReport } from '../../src/report/index.js';
import { weeklySummary } from '../../src/report/summary.js';
import { DIALECTS, freshDatabaseUrl } from '../helpers/db.js';
import { FakePlatforms } from '../helpers/fake-platforms.js';
import { postOrderEvent } from '../helpers/orders.js';
import { receiveEvent, signedEncrypted } from '../helpers/feishu.js';
import { FEISHU, startService, writeConfig } from '../helpers/service.js';
import type { TestService } from '../helpers/service.js';

const SECRET = 'order-webhook-secret-0123456789';
const local = (hhmm: string, day = 27) => Date.parse(`2026-11-${day}T${hhmm}+08:00`);

/** A morning of real traffic through the service, then `xiaoer report` over it. */
describe.each(DIALECTS)('xiaoer report (%s)', (dialect) => {
  let fake: FakePlatforms;
  let svc: TestService;
  let clock: number;
  let db: { url: string; cleanup(): Promise<void> };
  let configFile: string;
  let out = '';
  let err = '';

  beforeAll(async () => {
    fake = await new FakePlatforms().start();
  });
  afterAll(() => fake.stop());
  beforeEach(async () => {
    fake.reset();
    clock = local('10:00:00');
    db = await freshDatabaseUrl(dialect, join(mkdtempSync(join(tmpdir(), 'xiaoer-report-')), 'x.db'));
    configFile = writeConfig({ extra: `    orderWebhookSecret: ${SECRET}\n    desk: { password: desk-password-0123 }\n`, businessHours: '{ from: "09:00", to: "23:00" }' });
    svc = await startService({ databaseUrl: db.url, feishuBase: fake.base, now: () => new Date(clock), random: () => 0, configFile });
    out = '';
    err = '';
    vi.stubEnv('DATABASE_URL', db.url);
    vi.stubEnv('XIAOER_CONFIG', configFile);
    vi.stubEnv('ACME_FEISHU_SECRET', 'feishu-app-secret');
  });
  afterEach(async () => {
    vi.unstubAllEnvs();
    vi.restoreAllMocks();
    await svc.close();
    await db.cleanup();
  });

  async function settle() {
    await svc.service.jobs.tick();
    await svc.service.worker.tick();
    await svc.service.worker.idle();
  }
  async function says(user: string, text: string, time: string) {
    clock = local(time);
    const e = signedEncrypted(receiveEvent({ token: FEISHU.verificationToken, text, openId: user, chatId: `oc_${user}` }), FEISHU.encryptKey, Math.floor(clock / 1000));
    expect((await fetch(`${svc.url}/webhooks/feishu/acme`, { method: 'POST', body: new Uint8Array(e.body), headers: e.headers })).status).toBe(200);
    await settle();
  }
  /** 小王 answers the customer's chat from the staff desk, now. */
  async function staffAnswers(user: string, text: string) {
    const conv = await svc.service.db.db.selectFrom('conversations').select('id').where('key', '=', `feishu:oc_${user}:${user}`).executeTakeFirstOrThrow();
    const res = await fetch(`${svc.url}/desk/acme/api/conversations/${conv.id}/reply`, {
      method: 'POST', body: JSON.stringify({ text }),
      headers: { authorization: `Basic ${Buffer.from('小王:desk-password-0123').toString('base64')}`, 'content-type': 'application/json', 'x-xiaoer-desk': '1' },
    });
    expect(res.status).toBe(202);
    await settle();
  }
  async function order(type: string, id: string, user: string, time: string, items = [{ title: '纯棉T恤', qty: 1, price: 99 }], extra: Record<string, unknown> = {}) {
    clock = local(time);
    const res = await postOrderEvent(svc.url, SECRET, { id: `${id}-${type}`, type, at: clock, order: { id, customer: { channel: 'feishu', userId: user }, items, total: 99, ...extra } });
    expect(res.status).toBe(202);
    await settle();
  }
  async function report(args: string[], now = local('12:00:00')): Promise<number> {
    vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((out += String(s)), true));
    vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((err += String(s)), true));
    try {
      return await runReport(['--shop', 'acme', ...args], now);
    } finally {
      vi.restoreAllMocks();
    }
  }

  it('gives a question the bot did not understand what a person answered it with at the desk, in the report and the FAQ sheet', async () => {
    await says('ou_m', '火星能送吗', '10:00:00');
    clock = local('10:02:00');
    await staffAnswers('ou_m', '亲，火星暂时还不在配送范围内，地球上都能送哦～');

    expect(await report(['--json'])).toBe(0);
    expect((JSON.parse(out) as { notUnderstood: unknown }).notUnderstood)
      .toMatchObject([{ text: '火星能送吗', count: 1, staffAnswer: '亲，火星暂时还不在配送范围内，地球上都能送哦～' }]);
    out = '';
    expect(await report([])).toBe(0);
    expect(out).toMatch(/ 1× {2}火星能送吗.*\n {9}staff answered: 亲，火星暂时还不在配送范围内，地球上都能送哦～\n/);
    const sheet = join(mkdtempSync(join(tmpdir(), 'xiaoer-sheet-')), 'faq.csv');
    expect(await report(['--faq-sheet', sheet])).toBe(0);
    expect(readFileSync(sheet, 'utf8')).toContain('"火星能送吗","","","1","亲，火星暂时还不在配送范围内，地球上都能送哦～"');

    // Marked 不用教 at the desk: the report says so beside the question.
    const asked = await svc.service.db.db.selectFrom('messages').select('id').where('text', '=', '火星能送吗').executeTakeFirstOrThrow();
    await dismissMessage(svc.service.db.db, { shopId: 'acme', messageId: Number(asked.id), staff: '小李', at: clock });
    out = '';
    expect(await report([])).toBe(0);
    expect(out).toMatch(/ 1× {2}火星能送吗.*\n {9}staff answered: .*\n {9}marked 不用教 at the desk by 小李\n/);
  });

  it('lists the answers the bot guessed, for staff to check, and says so in the weekly summary', async () => {
    await says('ou_g', '么时候发货呀', '10:00:00'); // a word short of any phrase: answered by likeness
    await says('ou_h', '么时候发货呀？', '10:01:00');
    await says('ou_h', '什么时候发货', '10:02:00'); // a phrase: no guess
    const rows = await svc.service.db.db.selectFrom('messages').select(['text', 'guess']).where('direction', '=', 'in').where('kind', '!=', 'event').orderBy('id').execute();
    expect(rows.map((m) => [m.text, m.guess && (JSON.parse(m.guess) as { intent: string }).intent])).toEqual([
      ['么时候发货呀', 'faq.shipping_time'], ['么时候发货呀？', 'faq.shipping_time'], ['什么时候发货', null],
    ]);
    expect(fake.delivered.filter((d) => d.text.includes('48 小时')).map((d) => d.receiveId)).toEqual(['oc_ou_g', 'oc_ou_h', 'oc_ou_h']);

    expect(await report(['--json'])).toBe(0);
    const r = JSON.parse(out) as { reception: { understood: number; guessed: number }; guessed: { text: string; intent: string; score: number; count: number }[] };
    expect(r.reception).toMatchObject({ understood: 3, guessed: 2 });
    // The same question, whatever its closing punctuation, is one line.
    expect(r.guessed).toEqual([{ text: '么时候发货呀', intent: 'faq.shipping_time', ask: '什么时候发货？', score: expect.any(Number), count: 2 }]);
    expect(r.guessed[0]!.score).toBeGreaterThanOrEqual(0.55);
    out = '';
    expect(await report([])).toBe(0);
    expect(out).toMatch(/ {4}of them on a guess \(by likeness\) +2: check them below\n/);
    expect(out).toMatch(/Answered on a guess .*\n.*xiaoer teach --shop acme --phrase <intent> "<text>".*\n.*猜对了 \/ 猜错了.*\n {5}2× {2}么时候发货呀 {3}→ faq\.shipping_time 什么时候发货？ \(\d+% alike\)\n/);
    expect(out).not.toContain('Taught at the desk');
    // The weekly message to the staff group says so (the full report has the list).
    expect(weeklySummary(r as unknown as ShopReport)).toContain('其中 2 条是机器人按相似猜着答的，请核对猜得对不对（在接待台打开会话，消息下点 猜对了 / 猜错了）：\n1. 么时候发货呀 → 当成「什么时候发货？」（2 次）\n');
    expect(weeklySummary(r as unknown as ShopReport)).not.toContain('接待台教了');

    // Staff confirm one at the desk: the report and the weekly message say it waits for teach --from-desk.
    await recordLesson(svc.service.db.db, { shopId: 'acme', messageId: Number((await svc.service.db.db.selectFrom('messages').select('id').where('text', '=', '么时候发货呀').executeTakeFirstOrThrow()).id),
      text: '么时候发货呀', intent: 'faq.shipping_time', as: 'phrase', staff: '小王', at: clock });
    out = '';
    expect(await report(['--json'])).toBe(0);
    const taught = JSON.parse(out) as ShopReport;
    expect(taught.taught).toEqual({ waiting: 1, added: 0, refused: 0 });
    // The guess is marked as taught (both messages asked it; one lesson covers the question).
    expect(taught.guessed[0]!.taught).toEqual({ intent: 'faq.shipping_time', state: 'waiting', staff: '小王' });
    expect(weeklySummary(taught)).toContain('接待台教了 1 句还没加入话术：npx xiaoer teach --shop acme --from-desk\n');
    out = '';
    expect(await report([])).toBe(0);
    expect(out).toContain('Taught at the desk (教机器人): 1 waiting to be added — xiaoer teach --shop acme --from-desk; in this period 0 added to the playbooks\n');
    expect(out).toMatch(/ {5}2× {2}么时候发货呀 .*\n {9}taught at the desk as faq\.shipping_time by 小王: waiting for teach --from-desk\n/);
  });

  it('counts the customers who said the answer missed (答非所问), and says so in the weekly summary', async () => {
    await says('ou_m', '你们发什么快递', '10:00:00');
    await says('ou_m', '答非所问', '10:01:00');
    expect(await report(['--json'])).toBe(0);
    const r = JSON.parse(out) as ShopReport;
    expect(r.reception).toMatchObject({ messages: 2, understood: 2, misread: 1, notUnderstood: 0 });
    expect(weeklySummary(r)).toContain('顾客说答非所问 1 次：接待台「待核对」里有他们当时问的话，请教给机器人\n');
    out = '';
    expect(await report([])).toBe(0);
    expect(out).toMatch(/ {2}said the answer missed \(答非所问\) +1: the staff desk's 待核对 lists what they had asked\n/);
  });

  it('counts reception, response times, 询单转化, 催付 and the questions the bot did not understand', async () => {
    fake.script = [500]; // the first reply fails once and goes out on the retry, two seconds later
    await says('ou_a', '你好', '10:00:00');
    clock += 2_000;
    await settle();
    await says('ou_a', '火星能送吗', '10:01:00');
    await says('ou_c', '火星能送吗？', '10:02:00');
    await says('ou_c', '你好', '10:03:00');
    await says('ou_e', '你们老板养猫吗', '10:04:00');
    await order('order.created', 'O1', 'ou_a', '10:05:00', undefined, { shipTo: { province: '广东省', city: '深圳市' } });
    await says('ou_b', '转人工', '10:06:00');
    await says('ou_b', '杯子盖子拧不紧', '10:07:00'); // waiting for a person: the bot stays silent
    // …who answers from the desk in the same millisecond: a person's reply, not the bot's answer.
    await staffAnswers('ou_b', '亲，我在的');
    clock = local('10:40:00');
    await settle(); // 催付 for O1
    await order('order.paid', 'O1', 'ou_a', '11:00:00');
    await order('order.created', 'O2', 'ou_d', '11:00:00'); // ou_d never wrote: not an inquiry
    clock = local('11:31:00');
    await settle(); // 催付 for O2, which stays unpaid
    await order('order.paid', 'O3', 'ou_d', '11:40:00', [{ title: '亚麻衬衫', qty: 2, price: 159 }], { shipTo: { province: '广东' } }); // paid at once: no 催付
    expect(fake.delivered.filter((d) => /纯棉T恤.*还没(有|完成)付款/.test(d.text)).map((d) => d.receiveId)).toEqual(['ou_a', 'ou_d']); // the two 催付
    await order('order.refund_requested', 'O3', 'ou_d', '11:50:00', [{ title: '亚麻衬衫', qty: 2, price: 159 }], { refund: { reason: '尺码不合适' } });

    expect(await report(['--json'])).toBe(0);
    const r = JSON.parse(out) as Record<string, unknown>;
    expect(r.period).toEqual({ from: '2026-11-21', to: '2026-11-27' });
    expect(r.reception).toEqual({ customers: 4, messages: 7, understood: 3, guessed: 0, notUnderstood: 3, misread: 0, noReply: 1, handoffs: 1 });
    expect(r.guessed).toEqual([]);
    // Handed over at 10:06, a person answered at the desk at 10:07.
    expect(r.staff).toEqual({ handoffs: 1, answered: 1, firstReplyMs: { replies: 1, median: 60_000, p90: 60_000 }, replies: 1, staff: 1 });
    expect(r.responseMs).toMatchObject({ first: { replies: 4, median: 0, p90: 2_000 } });
    expect(r.conversion).toEqual({ inquirers: 4, ordered: 1, paid: 1, windowDays: 3 });
    expect(r.paymentReminders).toEqual({ rules: ['催付-首次提醒', '催付-次日提醒', '催付-关闭前提醒'], ordersReminded: 2, paidAfter: 1 });
    expect(r.undelivered).toEqual({ dead: 0, skipped: 0 });
    expect(r.refunds).toEqual({ requested: 1, refunded: 0, reasons: [{ reason: '尺码不合适', orders: 1 }] });
    expect(r.orders).toEqual({
      placed: 3, topItems: [{ title: '纯棉T恤', orders: 2, qty: 2 }, { title: '亚麻衬衫', orders: 1, qty: 2 }],
      regions: [{ province: '广东', orders: 2 }], regionUnknown: 1, // 广东省 and 广东 are one; O2 gave none
    });
    expect(r.notUnderstood).toMatchObject([{ text: '火星能送吗', count: 2 }, { text: '你们老板养猫吗', count: 1 }]);
    // Where to add it: the intents it resembles, as 您是想问 ranks them (火星 is as far as 新疆 goes).
    expect((r.notUnderstood as { resembles: string[] }[])[0]!.resembles).toContain('faq.remote_delivery');
    const rules = r.rules as { used: { rule: string; messages: number }[]; unused: string[] };
    expect(rules.used).toEqual([{ rule: '新客户问候', messages: 2 }, { rule: '转人工-工作时间', messages: 1 }]);
    expect(rules.unused).toContain('议价-第一轮-同情型');
    expect(rules.unused).not.toContain('新客户问候');

    out = '';
    expect(await report([])).toBe(0);
    expect(out).toMatch(/^阿克米旗舰店 \(acme\) — 2026-11-21 to 2026-11-27, Asia\/Shanghai$/m);
    expect(out).toMatch(/first response \(首次响应\) +median under 0\.1 s, 90% within 2\.0 s/);
    expect(out).toMatch(/handoffs answered +1 of 1 \(100% within 24 h\)\n +first reply after handoff +median 60 s, 90% within 60 s\n +replies written +1 by 1 staff/);
    expect(out).toMatch(/ordered 1 of 4 \(25%\), paid 1 \(25%\)/);
    expect(out).toMatch(/orders reminded 2, paid after the reminder 1 \(50%\)/);
    expect(out).toMatch(/Orders placed: 3; most ordered:\n {6}2 {2}纯棉T恤\n {6}1 {2}亚麻衬衫 \(2 pieces\)\n/);
    expect(out).toContain('\nWhere they go (省份), most first (1 without a province):\n  广东 2 (67%)\n');
    expect(weeklySummary(r as unknown as ShopReport)).toContain('\n订单去向：广东 2\n');
    expect(out).toContain('\nRefunds (退款): 1 requested, 0 refunded; reasons given, most first:\n      1  尺码不合适\n');
    expect(weeklySummary(r as unknown as ShopReport)).toContain('\n退款：申请 1 单，已退 0 单；原因：尺码不合适（1）\n');
    expect(out).toMatch(/Rules that answered most \(messages\)\n {6}2 {2}新客户问候\n {6}1 {2}转人工-工作时间\n/);
    expect(out).not.toMatch(/answered nothing/); // seven messages are too few to judge a rule by
    expect(out).toMatch(/\n {5}2× {2}火星能送吗 {3}\(resembles [a-z_.]+, [a-z_.]+\)\n {5}1× {2}你们老板养猫吗/);
    expect(out).toMatch(/火星能送吗 .*faq\.remote_delivery/);

    out = '';
    vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((out += String(s)), true));
    expect(await runReport(['--json'], local('12:00:00'))).toBe(0); // no --shop: every shop, as a list
    vi.restoreAllMocks();
    expect((JSON.parse(out) as { shop: { id: string } }[]).map((x) => x.shop.id)).toEqual(['acme']);

    out = '';
    expect(await report(['--from', '2026-11-28'], local('09:00:00', 28))).toBe(0); // the next day: nothing yet
    expect(out).toMatch(/customers who wrote \(询单人数\) +0/);
    expect(out).toMatch(/Not understood: no customer messages in this period/);
  });

  it('says where its figures start to be whole when retention has deleted older chats', async () => {
    await says('ou_old', '你好', '10:30:00');
    vi.stubEnv('XIAOER_CONFIG', writeConfig({ extra: 'retention: { days: 30 }\n' }));
    expect(await report(['--days', '7'])).toBe(0);
    expect(out).not.toMatch(/deleted under retention/);
    out = '';
    expect(await report(['--days', '60'])).toBe(0);
    expect(out).toMatch(/— 2026-09-29 to 2026-11-27, Asia\/Shanghai\n {2}\(chats before 2026-10-28 12:00 are deleted under retention\.days: figures before then are incomplete\)\n/);
    out = '';
    expect(await report(['--days', '60', '--json'])).toBe(0);
    expect(JSON.parse(out)).toMatchObject({ period: { from: '2026-09-29', incompleteBefore: '2026-10-28 12:00' } });
  });

  it('names the flag when the period is unusable', async () => {
    expect(await report(['--days', '0'])).toBe(1);
    expect(err).toMatch(/--days must be a whole number from 1 to 366 \(got "0"\)/);
    expect(await report(['--from', '2026-11-31'])).toBe(1);
    expect(err).toMatch(/--from must be a date like 2026-11-01 \(got "2026-11-31"\)/);
    expect(await report(['--from', '2026-11-20', '--to', '2026-11-10'])).toBe(1);
    expect(err).toMatch(/--to \(2026-11-10\) is before --from \(2026-11-20\)/);
    expect(await report(['--days', '3', '--from', '2026-11-20'])).toBe(1);
    expect(err).toMatch(/either --days or --from\/--to/);
  });
});
