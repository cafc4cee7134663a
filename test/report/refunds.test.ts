import { describe, expect, it } from 'vitest';
import type { OrderFact } from '../../src/db/report.js';
import { refunds } from '../../src/report/refunds.js';

const fact = (orderId: string, type: string, at: number, refundReason?: string | null): OrderFact =>
  ({ orderId, type, at, customerChannel: 'feishu', customerUserId: 'u', items: [], total: 1, ...(refundReason !== undefined ? { refundReason } : {}) });

describe('refunds in the report', () => {
  it('counts each order once, inside the period only, and ranks the reasons given', () => {
    const r = refunds([
      fact('1', 'order.refund_requested', 110, '尺码不合适'), fact('1', 'order.refund_requested', 120, '尺码不合适'), // asked twice: once
      fact('2', 'order.refund_requested', 130, ' 尺码不合适 '), fact('3', 'order.refund_requested', 140, '不想要了'),
      fact('4', 'order.refund_requested', 150, null), fact('2', 'order.refunded', 160), fact('5', 'order.refunded', 170),
      fact('6', 'order.refund_requested', 250, '质量问题'), // after the period
    ], { from: 100, to: 200 });
    expect(r).toEqual({ requested: 4, refunded: 2, reasons: [{ reason: '尺码不合适', orders: 2 }, { reason: '不想要了', orders: 1 }] });
  });
});
