import { describe, expect, it } from 'vitest';
import { identityKey } from '../../src/db/report.js';
import type { InboundFact, OrderFact, ProactiveFact } from '../../src/db/report.js';
import { campaignResults } from '../../src/report/campaigns.js';

const H = 3_600_000;
const who = (u: string) => identityKey('feishu', u);
const sent = (rule: string, u: string, at: number): ProactiveFact => ({ orderId: null, rule, sentAt: at, customer: who(u) });
const wrote = (id: number, at: number): InboundFact => ({ messageId: at, conversationId: id, customerId: id, at, text: '嗯', guess: null });
const order = (u: string, type: string, at: number): OrderFact => ({ orderId: `${u}-${at}`, type, at, customerChannel: 'feishu', customerUserId: u, items: [], total: 0 });

describe('what each marketing rule changed', () => {
  it('counts each reached customer once, by what followed their first message within the windows', () => {
    const identities = new Map([[1, who('a')], [2, who('b')], [3, who('c')]]);
    const r = campaignResults(new Set(['节日问候', '上新通知']), [
      sent('节日问候', 'a', 10 * H), sent('节日问候', 'a', 11 * H), sent('节日问候', 'b', 10 * H), sent('节日问候', 'c', 10 * H),
      sent('上新通知', 'a', 50 * H),
      sent('发货提醒', 'a', 10 * H), // care: not a campaign
    ], [
      wrote(1, 9 * H), // before: not an answer
      wrote(1, 12 * H),
      wrote(2, 40 * H), // more than a day later
    ], identities, [
      order('b', 'order.created', 60 * H), // within 3 days of 10 h
      order('c', 'order.created', 90 * H), // too late
      order('a', 'order.shipped', 52 * H), // not a new order
    ], new Map([[who('c'), 20 * H], [who('a'), 5 * H]]));
    expect(r).toEqual([
      { rule: '节日问候', customers: 3, wroteBack: 1, ordered: 1, optedOut: 1 },
      { rule: '上新通知', customers: 1, wroteBack: 0, ordered: 0, optedOut: 0 },
    ]);
  });
});
