import { orderEventSignature } from '../../src/http/orders.js';

export interface TestOrder {
  id: string;
  customer: { channel: string; userId: string; name?: string; tier?: string };
  items?: { title: string; qty: number; price: number }[];
  total?: number;
  [field: string]: unknown;
}

/** POST /events/orders/<shop>, signed as the shop's order system signs it (timestamp from `at`). */
export function postOrderEvent(
  baseUrl: string, secret: string, e: { id: string; type: string; at: number; order: TestOrder }, shop = 'acme',
): Promise<Response> {
  const body = JSON.stringify({
    id: e.id, type: e.type, occurredAt: new Date(e.at).toISOString(),
    order: { items: [{ title: '纯棉T恤', qty: 1, price: 99 }], total: 99, ...e.order },
  });
  const ts = String(Math.floor(e.at / 1000));
  return fetch(`${baseUrl}/events/orders/${shop}`, {
    method: 'POST', body,
    headers: { 'content-type': 'application/json', 'x-xiaoer-timestamp': ts, 'x-xiaoer-signature': orderEventSignature(secret, ts, Buffer.from(body)) },
  });
}
