import { describe, expect, it } from 'vitest';
import { identityKey } from '../../src/db/report.js';
import type { InboundFact, MemberFact, OrderFact } from '../../src/db/report.js';
import { LAPSED_AFTER_MS, memberSales } from '../../src/report/members.js';

const order = (id: string, u: string, type: string, at: number, total: number): OrderFact =>
  ({ orderId: id, type, at, customerChannel: 'feishu', customerUserId: u, items: [], total });
const member = (u: string, tier: string, since: number | null): [string, MemberFact] => [identityKey('feishu', u), { tier, since }];
const wrote = (customerId: number, at: number): InboundFact => ({ messageId: at, conversationId: 1, customerId, at, text: '在吗', guess: null });

describe('members (domain.md §8)', () => {
  const from = 1_000 * 86_400_000;
  const period = { from, to: from + 7 * 86_400_000 };
  const none = { inbound: [] as InboundFact[], identities: new Map<number, string>(), paidRecently: new Set<string>() };

  it('counts the paid orders of the period by the customer\'s tier, once each', () => {
    const members = new Map([member('a', 'vip', 0), member('b', '金卡', 0)]);
    const r = memberSales([
      order('1', 'a', 'order.paid', from + 10, 300), order('1', 'a', 'order.paid', from + 11, 300), // redelivered: once
      order('2', 'b', 'order.paid', from + 20, 100),
      order('3', 'x', 'order.paid', from + 30, 600), // not a member
      order('4', 'a', 'order.created', from + 40, 999), // not paid
      order('5', 'a', 'order.paid', period.to + 1, 999), // after the period
    ], members, period, none.inbound, none.identities, none.paidRecently);
    expect(r).toMatchObject({ orders: 3, total: 1000, memberOrders: 2, memberTotal: 400, byTier: [{ tier: 'vip', orders: 1, total: 300 }, { tier: '金卡', orders: 1, total: 100 }] });
  });

  it('new members joined in the period; active ones wrote or paid in it; lapsed ones, members half a year, paid nothing in that half year', () => {
    const members = new Map([
      member('new', 'vip', from + 100),            // joined this week, wrote
      member('buyer', 'vip', from - 400 * 86_400_000), // an old member who paid this week
      member('quiet', '金卡', from - 400 * 86_400_000), // an old member, nothing for half a year: lapsed
      member('kept', '金卡', from - 400 * 86_400_000),  // paid two months ago: not lapsed, not active
      member('young', '金卡', period.to - LAPSED_AFTER_MS + 1), // a member for less than half a year: not lapsed yet
      member('unknown', '金卡', null),              // since unknown: neither new nor lapsed
    ]);
    const r = memberSales([order('9', 'buyer', 'order.paid', from + 5, 50)], members, period,
      [wrote(1, from + 200), wrote(2, from - 10)], new Map([[1, identityKey('feishu', 'new')], [2, identityKey('feishu', 'young')]]),
      new Set([identityKey('feishu', 'buyer'), identityKey('feishu', 'kept')]));
    expect(r).toMatchObject({ members: 6, newMembers: 1, active: 2, lapsed: 1 });
  });

  it('says nothing for a shop without members', () => {
    expect(memberSales([order('1', 'a', 'order.paid', from, 300)], new Map(), period, none.inbound, none.identities, none.paidRecently)).toBeNull();
  });
});
