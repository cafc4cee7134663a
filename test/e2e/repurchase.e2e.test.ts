import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, afterAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.js';
import { findCustomer } from '../../src/db/customers.js';
import { listJobs } from '../../src/db/jobs.js';
import { captureOutput } from '../helpers/cli.js';
import { DIALECTS, freshDatabaseUrl } from '../helpers/db.js';
import { FakePlatforms } from '../helpers/fake-platforms.js';
import { postOrderEvent } from '../helpers/orders.js';
import { startService, stubPlatformEnv, writeConfig } from '../helpers/service.js';
import type { TestService } from '../helpers/service.js';

const SECRET = 'order-webhook-secret-0123456789';
const DAY = 86_400_000;
/** Shanghai local time in November 2026 (UTC+8); later days roll into the next months. */
const local = (hhmm: string, day = 27) => Date.parse(`2026-11-27T${hhmm}:00+08:00`) + (day - 27) * DAY;
const PRODUCTS = '    products:\n      - { match: [洗衣凝珠, 洗衣液], lasts: 30d }\n      - { match: 猫粮, lasts: 45d }\n';
const PODS = (qty: number) => ({ items: [{ title: '洗衣凝珠 52颗', qty, price: 39.9 }], total: 39.9 * qty });

describe.each(DIALECTS)('复购提醒 by how long each product lasts (%s)', (dialect) => {
  let fake: FakePlatforms;
  let svc: TestService | undefined;
  let cleanup: (() => Promise<void>) | undefined;
  let clock = local('10:00');
  beforeAll(async () => {
    fake = await new FakePlatforms().start();
  });
  afterAll(() => fake.stop());
  afterEach(async () => {
    await svc?.close();
    svc = undefined;
    await cleanup?.();
    vi.unstubAllEnvs();
  });

  async function start() {
    const dir = mkdtempSync(join(tmpdir(), 'xiaoer-repurchase-'));
    const db = await freshDatabaseUrl(dialect, join(dir, 'x.db'));
    cleanup = db.cleanup;
    const configFile = writeConfig({ extra: `    orderWebhookSecret: ${SECRET}\n${PRODUCTS}` });
    clock = local('10:00');
    fake.reset();
    svc = await startService({ databaseUrl: db.url, feishuBase: fake.base, now: () => new Date(clock), random: () => 0, configFile });
    return { dir, db, configFile, s: svc };
  }
  let n = 0;
  async function event(s: TestService, type: string, order: string, user: string, extra: Record<string, unknown> = {}) {
    const res = await postOrderEvent(s.url, SECRET, { id: `evt-${++n}`, type, at: clock, order: { id: order, customer: { channel: 'feishu', userId: user }, ...extra } });
    expect(res.status).toBe(202);
    await settle(s);
  }
  async function settle(s: TestService) {
    await s.service.jobs.tick();
    await s.service.worker.tick();
    await s.service.worker.idle();
  }
  const reminders = () => fake.delivered.filter((d) => d.text.includes('差不多该用完')).map((d) => [d.receiveId, d.text]);

  it('plans the reminder 3 days before the product runs out (× quantity), sends it then, and not to a customer who bought it again', async () => {
    const { s } = await start();
    await event(s, 'order.paid', 'R1', 'ou_a', PODS(2));
    await event(s, 'order.paid', 'R2', 'ou_b');                 // a 纯棉T恤: lasts no listed time
    await event(s, 'order.paid', 'R3', 'ou_c', PODS(1));
    clock = local('10:00', 29);
    for (const [o, u] of [['R1', 'ou_a'], ['R2', 'ou_b'], ['R3', 'ou_c']] as const) await event(s, 'order.signed', o, u, o === 'R2' ? {} : PODS(o === 'R1' ? 2 : 1));
    const planned = (await listJobs(s.service.db.db, { shopId: 'acme', states: ['pending'] })).filter((j) => j.rule === '复购提醒');
    expect(planned.map((j) => [j.orderId, j.dueAt])).toEqual([ // soonest first; none for R2
      ['R3', local('10:00', 29) + 27 * DAY],
      ['R1', local('10:00', 29) + 57 * DAY], // two bags: 60 days, less the 3-day lead
    ]);

    clock = local('10:00', 29 + 10);
    await event(s, 'order.paid', 'R4', 'ou_c', { items: [{ title: '洗衣液 2kg', qty: 1, price: 49 }], total: 49 }); // same product, other size
    clock = local('10:00', 29 + 27);
    await settle(s);
    expect(reminders()).toEqual([]); // ou_c bought it again: no reminder
    const done = await listJobs(s.service.db.db, { shopId: 'acme', states: ['done'], latest: true });
    expect(done.find((j) => j.orderId === 'R3' && j.rule === '复购提醒')?.reason).toMatch(/conditions no longer hold/);

    clock = local('10:00', 29 + 57);
    await settle(s);
    expect(reminders()).toEqual([['ou_a', expect.stringMatching(/^亲，您之前购买的「洗衣凝珠 52颗」差不多该用完啦.*回复 TD 退订/)]]);
  });

  it('tags a customer 常客 when they pay their third order within half a year (an older one does not count)', async () => {
    const { s } = await start();
    const tags = async () => (await findCustomer(s.service.db.db, 'acme', 'feishu', 'ou_f'))?.tags ?? [];
    clock = local('10:00', 27 - 200);
    await event(s, 'order.paid', 'F1', 'ou_f');
    clock = local('10:00', 27 - 30);
    await event(s, 'order.paid', 'F2', 'ou_f');
    clock = local('10:00');
    await event(s, 'order.created', 'F3', 'ou_f');
    await event(s, 'order.closed', 'F3', 'ou_f'); // never paid: no purchase
    await event(s, 'order.paid', 'F4', 'ou_f');
    expect(await tags()).not.toContain('常客'); // F2 and F4 within 180 days
    clock = local('12:00');
    await event(s, 'order.paid', 'F5', 'ou_f');
    expect(await tags()).toContain('常客');
  });

  it('xiaoer products learns each item\'s cycle from paid orders and says what to list', async () => {
    const { dir, db, configFile } = await start();
    await svc!.close();
    svc = undefined;
    // Five customers rebuy the pods about monthly (one bought two bags: twice as long); one buys a T-shirt once.
    const lines: string[] = [];
    const bought = (id: string, user: string, at: number, items: { title: string; qty: number }[]) => {
      for (const [type, after] of [['order.created', 0], ['order.paid', 60_000]] as const) {
        lines.push(JSON.stringify({ id: `${id}-${type}`, type, occurredAt: new Date(at + after).toISOString(),
          order: { id, customer: { channel: 'local', userId: user }, items: items.map((i) => ({ ...i, price: 10 })), total: 10 } }));
      }
    };
    const t0 = Date.now() - 200 * DAY;
    for (let u = 0; u < 5; u++) {
      bought(`A${u}`, `u${u}`, t0 + u * DAY, [{ title: '洗衣凝珠 52颗', qty: u === 0 ? 2 : 1 }, { title: '猫粮 2kg', qty: 1 }]);
      bought(`B${u}`, `u${u}`, t0 + u * DAY + (u === 0 ? 56 : 28) * DAY, [{ title: '洗衣凝珠 52颗', qty: 1 }, { title: '猫粮 2kg', qty: 1 }]);
      bought(`C${u}`, `u${u}`, t0 + u * DAY + (u === 0 ? 56 : 28) * DAY + 2 * 3_600_000, [{ title: '猫粮 2kg', qty: 1 }]); // same day: one purchase
    }
    bought('T1', 'u9', t0, [{ title: '纯棉T恤', qty: 1 }]);
    writeFileSync(join(dir, 'orders.jsonl'), `${lines.join('\n')}\n`);
    vi.stubEnv('DATABASE_URL', db.url);
    vi.stubEnv('XIAOER_CONFIG', configFile);
    stubPlatformEnv('http://127.0.0.1:9');
    let io = captureOutput();
    expect(await main(['orders', 'import', join(dir, 'orders.jsonl'), '--shop', 'acme'])).toBe(0);

    io = captureOutput();
    expect(await main(['products', '--shop', 'acme'])).toBe(0);
    expect(io.out).toContain('Repurchase cycles — shop acme, purchases since ');
    expect(io.out).toContain(': 16 paid orders, 6 customers\n');
    expect(io.out).toMatch(/\n洗衣凝珠 52颗 +5 +5 +28 d +28–28 d {2}30d \(洗衣凝珠, 洗衣液\) ✓\n/);
    expect(io.out).toMatch(/\n猫粮 2kg +5 +5 +28 d +28–28 d {2}45d \(猫粮\); buyers take 28d — set lasts: 28d\n/);
    expect(io.out).toContain('1 other item no customer bought twice in this time.');

    io = captureOutput();
    expect(await main(['products', '--shop', 'acme', '--json'])).toBe(0);
    const json = JSON.parse(io.out) as { purchases: number; items: { title: string; rebuys: number; medianDays: number; suggest: string | null }[] };
    expect(json.purchases).toBe(16);
    expect(json.items.map((i) => [i.title, i.rebuys, i.medianDays, i.suggest])).toEqual([
      ['洗衣凝珠 52颗', 5, 28, null], ['猫粮 2kg', 5, 28, 'lasts: 28d'],
    ]);

    io = captureOutput();
    expect(await main(['products', '--shop', 'acme', '--since', '30d'])).toBe(0);
    expect(io.out).toContain('No paid orders in this time: nothing to learn from yet.');
    io = captureOutput();
    expect(await main(['products', '--shop', 'acme', '--since', '1y'])).toBe(1);
    expect(io.err).toContain('--since: use a duration like 365d or 90d (got "1y")');
    io = captureOutput();
    expect(await main(['products', '--shop', 'acmee'])).toBe(1);
    expect(io.err).toMatch(/no shop "acmee" in .*; did you mean "acme"\?/);
  });
});
