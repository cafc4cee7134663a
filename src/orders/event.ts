import { z } from 'zod';
import { EXCEPTION_KINDS, ORDER_EVENTS } from '../playbook/schema.js';

/** POST /events/orders/:shop body (and each line of `xiaoer orders import`). */
export const orderEventSchema = z.strictObject({
  id: z.string().min(1).max(200),
  type: z.enum(ORDER_EVENTS),
  occurredAt: z.iso.datetime({ offset: true }),
  order: z.strictObject({
    id: z.string().min(1).max(200),
    customer: z.strictObject({
      channel: z.enum(['feishu', 'wecom', 'wecomKf', 'dingtalk', 'local']),
      userId: z.string().min(1).max(200),
      name: z.string().min(1).max(100).optional(),
      /** Membership tier in the shop's own names (vip, 金卡…), for rules with `tier:` (domain.md §8). */
      tier: z.string().trim().min(1).max(50).optional(),
    }),
    items: z.array(z.strictObject({ title: z.string().min(1), qty: z.number().int().min(1), price: z.number().min(0) })).min(1),
    total: z.number().min(0),
    /** When the order closes if still unpaid (platforms: often 72 h; flash sales 30 min), for reminders before that. */
    closesAt: z.iso.datetime({ offset: true }).optional(),
    courier: z.string().min(1).optional(),
    trackingNo: z.string().min(1).optional(),
    review: z.strictObject({ rating: z.number().int().min(1).max(5), text: z.string().optional() }).optional(),
    /** order.exception: what the courier reported, and its own words when it gave some. */
    exception: z.strictObject({ kind: z.enum(EXCEPTION_KINDS), note: z.string().min(1).max(500).optional() }).optional(),
    /** Where the parcel goes: province and city only (xiaoer keeps no street address), for where customers are (domain.md §9). */
    shipTo: z.strictObject({ province: z.string().trim().min(1).max(20), city: z.string().trim().min(1).max(30).optional() }).optional(),
    /** order.refund_requested: the customer asked for their money back, with the reason they gave. */
    refund: z.strictObject({ reason: z.string().min(1).max(500).optional() }).optional(),
  }),
}).refine((e) => e.type !== 'order.exception' || e.order.exception !== undefined, {
  path: ['order', 'exception'], message: 'order.exception events need order.exception: { kind, note? }',
});
export type OrderEvent = z.infer<typeof orderEventSchema>;

/** The order journey; an event only ever moves an order forward (domain.md §5). */
const RANK: Record<string, number> = {
  created: 1, paid: 2, shipped: 3, arrived: 4, signed: 5, reviewed: 6, refunded: 9, closed: 9,
};

/** Events that annotate an order and leave its state: a logistics exception, a refund request (the refund itself is order.refunded). */
const ANNOTATIONS: ReadonlySet<string> = new Set(['order.exception', 'order.refund_requested']);

/** The order's state after the event: an annotation leaves it where it is (a first event of an unknown order: shipped, or paid for a refund request). */
export function stateAfter(current: string | undefined, type: OrderEvent['type']): string {
  if (type === 'order.exception') return current ?? 'shipped';
  if (type === 'order.refund_requested') return current ?? 'paid';
  return type.slice('order.'.length);
}

/** Why an event no longer fits the order, or null when it moves it forward. */
export function doesNotFit(current: string | undefined, type: OrderEvent['type']): string | null {
  if (current === undefined) return null;
  if ((RANK[current] ?? 0) >= 9) return `order is already ${current}`;
  if (ANNOTATIONS.has(type)) return null;
  const next = stateAfter(current, type);
  if ((RANK[next] ?? 0) <= (RANK[current] ?? 0)) return `order is already ${current}; ${next} would move it backwards`;
  return null;
}
