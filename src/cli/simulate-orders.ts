import { randomInt } from 'node:crypto';
import axios from 'axios';
import { cliConfig } from './shops.js';
import { orderEventSignature } from '../http/orders.js';
import { EXCEPTION_KINDS } from '../playbook/schema.js';

/**
 * `/order …` lines in `xiaoer simulate`: the person chatting plays the shop's order system too,
 * so the whole journey — 催付, 发货提醒, 查物流 from the order, review thanks — can be tried
 * locally. Each line is a real signed event to POST /events/orders/<shop>, as an order system sends it.
 */
export const ORDER_HELP = [
  '/order created [item]          a new order (unpaid) for you, of a 纯棉T恤 or the item named; the next /order lines are about it',
  '/order paid | shipped | arrived | signed | refunded | closed',
  '/order reviewed 1-5 [text]     a review, e.g. /order reviewed 1 颜色不对',
  `/order exception KIND [note]   ${EXCEPTION_KINDS.join(', ')}`,
  '/order refund_requested [reason]  the customer asks for a refund (order.refunded: it is done)',
].join('\n');

const TYPES = ['created', 'paid', 'shipped', 'arrived', 'signed', 'reviewed', 'refunded', 'closed', 'exception', 'refund_requested'] as const;
/** The demo order's contents; what a customer ordered matters only to the texts that name it. */
const DEMO_ITEMS = [{ title: '纯棉T恤', qty: 1, price: 99 }];
const DEMO_COURIER = '中通快递';
/** The order-event API answers at once (it only records and queues); longer means the service is stuck. */
const ORDER_EVENT_TIMEOUT_MS = 10_000;

type Parsed = { type: (typeof TYPES)[number]; rating?: number; text?: string; kind?: string; note?: string; item?: string; reason?: string };

export function parseOrderLine(line: string): Parsed | { error: string } {
  const [, type, ...rest] = line.trim().split(/\s+/);
  if (!type || !(TYPES as readonly string[]).includes(type)) return { error: `usage:\n${ORDER_HELP}` };
  const t = type as Parsed['type'];
  if (t === 'reviewed') {
    const rating = Number(rest[0]);
    if (!Number.isInteger(rating) || rating < 1 || rating > 5) return { error: 'usage: /order reviewed 1-5 [text] (the stars come first)' };
    return { type: t, rating, ...(rest.length > 1 ? { text: rest.slice(1).join(' ') } : {}) };
  }
  if (t === 'exception') {
    if (!rest[0] || !(EXCEPTION_KINDS as readonly string[]).includes(rest[0])) return { error: `usage: /order exception KIND [note]; KIND is one of ${EXCEPTION_KINDS.join(', ')}` };
    return { type: t, kind: rest[0], ...(rest.length > 1 ? { note: rest.slice(1).join(' ') } : {}) };
  }
  if (t === 'created' && rest.length) return { type: t, item: rest.join(' ') };
  if (t === 'refund_requested' && rest.length) return { type: t, reason: rest.join(' ') };
  return { type: t };
}

export interface OrderPlayer {
  /** Sends the event a `/order …` line describes; returns the line to show. */
  play(line: string): Promise<string>;
}

export function orderPlayer(o: { base: string; shop: string; user: string; secret?: string }): OrderPlayer {
  let orderId: string | null = null;
  let trackingNo: string | null = null;
  let items = DEMO_ITEMS;
  let n = 0;
  return {
    async play(line) {
      const cmd = parseOrderLine(line);
      if ('error' in cmd) return cmd.error;
      const secret = o.secret !== undefined ? { secret: o.secret } : shopSecret(o.shop);
      if ('error' in secret) return secret.error;
      if (cmd.type === 'created' || orderId === null) {
        orderId = `40${String(randomInt(0, 1e8)).padStart(8, '0')}`;
        trackingNo = null;
        items = cmd.item ? [{ title: cmd.item, qty: 1, price: 99 }] : DEMO_ITEMS;
      }
      if (cmd.type === 'shipped' && trackingNo === null) trackingNo = `ZT${String(randomInt(0, 1e10)).padStart(10, '0')}`;
      const body = JSON.stringify({
        id: `sim-${process.pid}-${Date.now()}-${++n}`, type: `order.${cmd.type}`, occurredAt: new Date().toISOString(),
        order: {
          id: orderId, customer: { channel: 'local', userId: o.user }, items, total: 99,
          ...(trackingNo ? { courier: DEMO_COURIER, trackingNo } : {}),
          ...(cmd.rating ? { review: { rating: cmd.rating, ...(cmd.text ? { text: cmd.text } : {}) } } : {}),
          ...(cmd.kind ? { exception: { kind: cmd.kind, ...(cmd.note ? { note: cmd.note } : {}) } } : {}),
          ...(cmd.type === 'refund_requested' ? { refund: cmd.reason ? { reason: cmd.reason } : {} } : {}),
        },
      });
      const ts = String(Math.floor(Date.now() / 1000));
      try {
        // Same contract as README "Order care": X-Xiaoer-Timestamp + HMAC-SHA256 over "<ts>.<body>".
        const res = await axios.post<{ status?: string; rules?: string[]; reason?: string; held?: { rule: string; reason: string; until?: string }[] }>(`${o.base}/events/orders/${encodeURIComponent(o.shop)}`, body, {
          validateStatus: () => true, timeout: ORDER_EVENT_TIMEOUT_MS,
          headers: { 'content-type': 'application/json', 'x-xiaoer-timestamp': ts, 'x-xiaoer-signature': orderEventSignature(secret.secret, ts, Buffer.from(body)) },
        });
        const what = `订单系统: 订单 ${orderId} order.${cmd.type}${trackingNo && cmd.type === 'shipped' ? `（${DEMO_COURIER} ${trackingNo}）` : ''}`;
        if (res.status >= 400) return `${what} refused: HTTP ${res.status}: ${res.data?.reason ?? ''}`;
        if (res.data?.status === 'ignored') return `${what} ignored: ${res.data.reason ?? ''}`;
        // A rule that fired but whose message did not go out now says why (a cap, quiet hours, 退订).
        const held = (res.data?.held ?? []).map((h) => `\n      ↳ ${h.rule}: ${h.until ? `waits until ${h.until}` : 'not sent'} — ${h.reason}`).join('');
        return `${what} accepted${res.data?.rules?.length ? ` · rules: ${res.data.rules.join(', ')}` : ' · no rule fired'}${held}`;
      } catch (err) {
        if ((err as { code?: string }).code === 'ECONNREFUSED') return `simulate: nothing is listening at ${o.base}; start the service first (npm start), or pass --url`;
        return `simulate: order event not sent: ${err instanceof Error ? err.message : String(err)}`;
      }
    },
  };
}

/** The shop's order-event secret from the same config the service reads (the demo shop has one). */
function shopSecret(shopId: string): { secret: string } | { error: string } {
  try {
    const config = cliConfig();
    const shop = config.shops.find((s) => s.id === shopId);
    if (!shop?.orderWebhookSecret) return { error: `shop "${shopId}" has no orderWebhookSecret in its config, so it takes no order events; set one, or pass --order-secret` };
    return { secret: shop.orderWebhookSecret };
  } catch (err) {
    return { error: `simulate: cannot read the config for the order-event secret (${err instanceof Error ? err.message : String(err)}); pass --order-secret` };
  }
}
