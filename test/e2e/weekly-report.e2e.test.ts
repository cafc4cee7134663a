import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DIALECTS, freshDatabaseUrl } from '../helpers/db.js';
import { FakePlatforms } from '../helpers/fake-platforms.js';
import { localChat, startService, writeConfig } from '../helpers/service.js';
import type { TestService } from '../helpers/service.js';

const WEDNESDAY = Date.parse('2026-11-25T10:00:00+08:00');
const MONDAY_9 = Date.parse('2026-11-30T09:00:00+08:00');
const DAY = 86_400_000;

/** The week's figures reach the staff group by themselves, once a week, at the shop's chosen time. */
describe.each(DIALECTS)('weekly report to the staff robots (%s)', (dialect) => {
  let fake: FakePlatforms;
  let svc: TestService;
  let db: { url: string; cleanup(): Promise<void> };
  let clock: number;
  beforeAll(async () => {
    fake = await new FakePlatforms().start();
  });
  afterAll(() => fake.stop());
  beforeEach(async () => {
    fake.reset();
    clock = WEDNESDAY;
    db = await freshDatabaseUrl(dialect, join(mkdtempSync(join(tmpdir(), 'xiaoer-weekly-')), 'x.db'));
    const configFile = writeConfig({ extra: '    alerts:\n      wecomRobotKey: robot-key-1\n      weeklyReport: { day: mon, at: "09:00" }\n' });
    svc = await startService({ databaseUrl: db.url, feishuBase: fake.base, now: () => new Date(clock), random: () => 0, configFile });
  });
  afterEach(async () => {
    await svc.close();
    await db.cleanup();
  });

  async function check() {
    const n = await svc.service.weekly.tick(true);
    await svc.service.alerts.tick();
    await svc.service.alerts.idle();
    return n;
  }
  const reports = () => fake.sent.filter((s) => s.platform === 'wecom-robot' && s.text.includes('周报')).map((s) => s.text);

  it("sends last week's figures on Monday at 09:00, once, and again a week later", async () => {
    for (const [user, text] of [['u1', '你好'], ['u2', '火星能送吗'], ['u3', '火星能送吗'], ['u4', '发什么快递']] as const) {
      expect((await localChat(svc.url, user, text)).status).toBe(200);
    }
    // A person answered u2 at the desk a minute later.
    const db = svc.service.db.db;
    const conv = await db.selectFrom('conversations').select('id').where('key', '=', 'local:u2:u2').executeTakeFirstOrThrow();
    await db.insertInto('messages').values({
      shop_id: 'acme', channel: 'local', conversation_id: Number(conv.id), direction: 'out', platform_message_id: null, delivery_id: null,
      kind: 'text', text: '亲，火星暂时送不到哦～', rule: '(staff)', response: '小王', raw: null, created_at: clock + 60_000,
    }).execute();
    clock = MONDAY_9 - 60_000; // 08:59: not yet
    expect(await check()).toBe(0);
    clock = MONDAY_9 + 30_000;
    expect(await check()).toBe(1);
    const [text] = reports();
    expect(text).toMatch(/【周报】阿克米旗舰店 2026-11-23 至 2026-11-29/);
    expect(text).toMatch(/接待：4 位顾客，4 条消息；机器人答上 2 条，没听懂 2 条/);
    expect(text).toMatch(/1\. 火星能送吗（2 次，客服答过）/);
    expect(text).toMatch(/客服答过的问题，可以把当时的回答整理成快捷回复：npx xiaoer report --shop acme --faq-sheet 问答\.csv/);
    expect(text).toMatch(/完整报表：npx xiaoer report --shop acme --from 2026-11-23 --to 2026-11-29/);

    clock += 5 * 60_000;
    expect(await check()).toBe(0); // the same week's report is not sent twice
    clock = MONDAY_9 + 7 * DAY + 60_000;
    expect(await check()).toBe(1);
    expect(reports()).toHaveLength(2);
    expect(reports()[1]).toMatch(/2026-11-30 至 2026-12-06/);
  });

  it('a report the service was down for more than a day is skipped, not sent late; a first start mid-week sends none', async () => {
    clock = MONDAY_9 - 3 * DAY; // Friday: the last Monday 09:00 is days ago
    expect(await check()).toBe(0);
    clock = MONDAY_9 + DAY + 60_000; // down through Monday, back on Tuesday after 09:00
    expect(await check()).toBe(0);
    expect(reports()).toEqual([]);
    clock = MONDAY_9 + 7 * DAY + 60_000; // the next Monday: sent as usual
    expect(await check()).toBe(1);
  });
});
