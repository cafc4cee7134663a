import { describe, expect, it } from 'vitest';
import { identityKey } from '../../src/db/report.js';
import type { OrderFact } from '../../src/db/report.js';
import { memberSales } from '../../src/report/members.js';

const order = (id: string, u: string, type: string, at: number, total: number): OrderFact =>
  ({ orderId: id, type, at, customerChannel: 'feishu', customerUserId: u, items: [], total });

describe("members' share of sales", () => {
  const period = { from: 100, to: 200 };
  it('counts the paid orders of the period by the customer\'s tier, once each', () => {
    const tiers = new Map([[identityKey('feishu', 'a'), 'vip'], [identityKey('feishu', 'b'), '金卡']]);
    expect(memberSales([
      order('1', 'a', 'order.paid', 110, 300), order('1', 'a', 'order.paid', 111, 300), // redelivered: once
      order('2', 'b', 'order.paid', 120, 100),
      order('3', 'x', 'order.paid', 130, 600), // not a member
      order('4', 'a', 'order.created', 140, 999), // not paid
      order('5', 'a', 'order.paid', 250, 999), // after the period
    ], tiers, period)).toEqual({ orders: 3, total: 1000, memberOrders: 2, memberTotal: 400, byTier: [{ tier: 'vip', orders: 1, total: 300 }, { tier: '金卡', orders: 1, total: 100 }] });
  });
  it('says nothing for a shop without members', () => {
    expect(memberSales([order('1', 'a', 'order.paid', 110, 300)], new Map(), period)).toBeNull();
  });
});
