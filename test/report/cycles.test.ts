import { describe, expect, it } from 'vitest';
import type { Purchase } from '../../src/db/purchases.js';
import { learnCycles } from '../../src/report/cycles.js';

const DAY = 86_400_000;
let n = 0;
const buy = (user: string, day: number, ...items: [string, number][]): Purchase => ({
  orderId: `O${++n}`, channel: 'local', userId: user, boughtAt: day * DAY, items: items.map(([title, qty]) => ({ title, qty, price: 1 })),
});

describe('learning how long each item lasts its buyers', () => {
  it('takes the days to each rebuy per unit of the earlier purchase, with the median and middle half', () => {
    const ps = [10, 20, 30, 40, 50].flatMap((gap, u) => [buy(`u${u}`, 0, ['洗衣凝珠', 1]), buy(`u${u}`, gap, ['洗衣凝珠', 1])]);
    ps.push(buy('u9', 0, ['洗衣凝珠', 2]), buy('u9', 60, ['洗衣凝珠', 1])); // two bags: 30 days each
    const c = learnCycles(ps, []);
    expect(c.items).toEqual([{
      title: '洗衣凝珠', rebuys: 6, buyers: 6, medianDays: 30, lowDays: 23, highDays: 38, listed: null, suggest: '- { match: [洗衣凝珠], lasts: 30d }',
    }]);
    expect([c.purchases, c.customers, c.onceOnly]).toEqual([12, 6, 0]);
  });

  it('counts orders within a day of each other as one purchase, and suggests nothing from fewer than 5 rebuys', () => {
    const c = learnCycles([buy('a', 0, ['猫粮', 1]), buy('a', 0.5, ['猫粮', 1]), buy('a', 60, ['猫粮', 1]), buy('b', 0, ['纯棉T恤', 1])], []);
    expect(c.items.map((i) => [i.title, i.rebuys, i.medianDays, i.suggest])).toEqual([['猫粮', 1, 30, null]]); // 60 days for two bags
    expect(c.onceOnly).toBe(1);
  });

  it('points out a listed cycle far from what buyers do, and leaves a close one alone', () => {
    const ps = Array.from({ length: 5 }, (_, u) => [buy(`u${u}`, 0, ['猫粮 2kg', 1], ['洗衣液', 1]), buy(`u${u}`, 28, ['猫粮 2kg', 1], ['洗衣液', 1])]).flat();
    const c = learnCycles(ps, [{ match: ['猫粮'], lasts: '45d' }, { match: ['洗衣液'], lasts: '30d' }]);
    expect(c.items.map((i) => [i.title, i.listed?.lasts, i.suggest])).toEqual([['洗衣液', '30d', null], ['猫粮 2kg', '45d', 'lasts: 28d']]);
  });
});
