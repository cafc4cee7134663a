import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { audience, cancelNotices, noticeCounts, noticeKey } from '../../src/db/audience.js';
import { changeTags, touchCustomer } from '../../src/db/customers.js';
import { finishJob, insertJob, listJobs } from '../../src/db/jobs.js';
import { saveOrder } from '../../src/db/orders.js';
import { DIALECTS, freshDb } from '../helpers/db.js';

const DAY = 86_400_000;
const NOW = 400 * DAY;

describe.each(DIALECTS)('announcement audiences and notices on %s', (dialect) => {
  let h: Awaited<ReturnType<typeof freshDb>>;
  beforeEach(async () => {
    h = await freshDb(dialect);
  });
  afterEach(async () => {
    await h.cleanup();
  });

  const customer = (user: string, seenDaysAgo: number) =>
    touchCustomer(h.db, { shopId: 'acme', channel: 'feishu', platformUserId: user, name: null, at: NOW - seenDaysAgo * DAY });
  const order = (id: string, user: string, state: string, placedDaysAgo: number) => saveOrder(h.db, {
    shopId: 'acme', orderId: id, state, customerChannel: 'feishu', customerUserId: user, data: { items: [], total: 0 } as never, signedAt: null,
  }, NOW - placedDaysAgo * DAY);
  const users = async (f: Parameters<typeof audience>[2]) => (await audience(h.db, 'acme', f)).map((c) => c.platformUserId);

  it('picks the shop\'s customers by tag, by when they were last seen and by what they bought', async () => {
    const recent = await customer('u-recent', 3);
    await customer('u-old', 200);
    await customer('u-buyer', 100);
    await customer('u-unpaid', 5);
    await touchCustomer(h.db, { shopId: 'other', channel: 'feishu', platformUserId: 'u-elsewhere', name: null, at: NOW });
    await changeTags(h.db, recent.id, ['老客户'], []);
    await changeTags(h.db, (await customer('u-tagged-long', 150)).id, ['老客户x'], []);
    await order('O1', 'u-buyer', 'signed', 20);
    await order('O2', 'u-unpaid', 'created', 2);
    await order('O3', 'u-unpaid', 'closed', 2);
    await order('O4', 'u-old', 'shipped', 190);

    expect(await users({})).toEqual(['u-recent', 'u-old', 'u-buyer', 'u-unpaid', 'u-tagged-long']);
    expect(await users({ tag: '老客户' })).toEqual(['u-recent']); // not 老客户x
    expect(await users({ seenSince: NOW - 30 * DAY })).toEqual(['u-recent', 'u-unpaid']);
    // Bought: a paid order placed since — an unpaid or closed one is no purchase.
    expect(await users({ boughtSince: NOW - 30 * DAY })).toEqual(['u-buyer']);
    expect(await users({ boughtSince: NOW - 365 * DAY })).toEqual(['u-old', 'u-buyer']);
    expect(await users({ boughtSince: NOW - 365 * DAY, seenSince: NOW - 150 * DAY })).toEqual(['u-buyer']);
  });

  it('counts a rule\'s notices, queues each once a day, and cancels the waiting ones so they can be sent again', async () => {
    const job = (user: string, rule = '节日问候') => insertJob(h.db, {
      shopId: 'acme', kind: 'rule', rule, category: 'marketing', customerChannel: 'feishu', customerUserId: user, orderId: null,
      dueAt: NOW + DAY, notAfter: null, dedupKey: noticeKey('acme', rule, `feishu:${user}`, '2026-12-24'),
    }, NOW);
    expect(await job('u1')).toBe(1);
    expect(await job('u1')).toBe(0);
    expect(await job('u2')).toBe(1);
    expect(await job('u3')).toBe(1);
    expect(await job('u1', '上新通知')).toBe(1);
    // A follow-up of the same rule planned by a playbook is no notice: left alone.
    await insertJob(h.db, { shopId: 'acme', kind: 'rule', rule: '节日问候', category: 'marketing', customerChannel: 'feishu', customerUserId: 'u9',
      orderId: null, dueAt: NOW + DAY, notAfter: null, dedupKey: 'evt-1:schedule:节日问候' }, NOW);
    expect(await job('u4')).toBe(1);
    expect(await job('u5')).toBe(1);
    const ran = async (user: string, reason: string | null) => {
      const j = (await listJobs(h.db, { shopId: 'acme' })).find((x) => x.customerUserId === user && x.rule === '节日问候')!;
      await finishJob(h.db, j.id, 'done', reason, NOW);
      return j.id;
    };
    await ran('u3', null); // sent
    await ran('u4', 'conditions no longer hold');
    // The gate held its message back: recorded as a skipped message job keyed after the notice.
    const u5 = await ran('u5', null);
    await insertJob(h.db, { shopId: 'acme', kind: 'message', rule: '节日问候', category: 'marketing', customerChannel: 'feishu', customerUserId: 'u5',
      orderId: null, dueAt: NOW, notAfter: null, state: 'skipped', reason: 'customer opted out (退订) of marketing messages', dedupKey: `job:${u5}:0:skipped` }, NOW);

    const held = new Map([['conditions no longer hold', 1], ['customer opted out (退订) of marketing messages', 1]]);
    expect(await noticeCounts(h.db, 'acme', '节日问候')).toEqual({ waiting: 2, sent: 1, held, cancelled: 0 });
    expect(await cancelNotices(h.db, 'acme', '节日问候', 'cancelled by staff', NOW)).toBe(2);
    expect(await noticeCounts(h.db, 'acme', '节日问候')).toEqual({ waiting: 0, sent: 1, held, cancelled: 2 });
    const jobs = await listJobs(h.db, { shopId: 'acme' });
    expect(jobs.filter((j) => j.state === 'pending').map((j) => [j.rule, j.customerUserId]).sort()).toEqual([['上新通知', 'u1'], ['节日问候', 'u9']]);
    // Mended and sent again the same day: queued anew.
    expect(await job('u1')).toBe(1);
    expect(await noticeCounts(h.db, 'acme', '节日问候')).toEqual({ waiting: 1, sent: 1, held, cancelled: 2 });
  });
});
