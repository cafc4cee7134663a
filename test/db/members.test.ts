import { afterEach, describe, expect, it } from 'vitest';
import { ensureCustomer, setTier } from '../../src/db/customers.js';
import { memberTiers, payersBetween } from '../../src/db/report.js';
import { applyOrderEvent } from '../../src/orders/ingest.js';
import { DIALECTS, freshDb } from '../helpers/db.js';

describe.each(DIALECTS)('membership dates (%s)', (dialect) => {
  let cleanup: (() => Promise<void>) | undefined;
  afterEach(async () => cleanup?.());

  it('a member since the first tier: kept through upgrades, cleared with the tier, new when it comes back', async () => {
    const h = await freshDb(dialect);
    cleanup = h.cleanup;
    const c = await ensureCustomer(h.db, { shopId: 'acme', channel: 'feishu', platformUserId: 'ou_a', name: null, at: 1 });
    const since = async () => (await memberTiers(h.db, 'acme')).get('feishu\0ou_a');
    await setTier(h.db, c.id, '金卡', 1000);
    expect(await since()).toEqual({ tier: '金卡', since: 1000 });
    await setTier(h.db, c.id, 'vip', 2000);
    expect(await since()).toEqual({ tier: 'vip', since: 1000 });
    await setTier(h.db, c.id, null, 3000);
    expect(await since()).toBeUndefined();
    await setTier(h.db, c.id, 'vip', 4000);
    expect(await since()).toEqual({ tier: 'vip', since: 4000 });
  });

  it('knows who bought in a span of time, from the order events (an order first heard of as shipped too)', async () => {
    const h = await freshDb(dialect);
    cleanup = h.cleanup;
    const paid = (id: string, user: string, at: string, type: 'order.paid' | 'order.shipped' = 'order.paid') => h.db.transaction().execute((trx) => applyOrderEvent(trx, 'acme', {
      id: `${id}-paid`, type, occurredAt: at,
      order: { id, customer: { channel: 'feishu', userId: user, tier: 'vip' }, items: [{ title: 'T恤', qty: 1, price: 1 }], total: 1 },
    }, Date.parse(at)));
    await paid('O1', 'ou_a', '2026-01-10T00:00:00Z');
    await paid('O2', 'ou_b', '2026-06-10T00:00:00Z');
    await paid('O3', 'ou_b', '2026-06-11T00:00:00Z');
    await paid('O4', 'ou_c', '2026-06-12T00:00:00Z', 'order.shipped'); // imported as shipped: a purchase too
    await paid('O5', 'ou_d', '2026-07-02T00:00:00Z'); // after the span
    expect([...await payersBetween(h.db, 'acme', Date.parse('2026-03-01T00:00:00Z'), Date.parse('2026-07-01T00:00:00Z'))].sort()).toEqual(['feishu\0ou_b', 'feishu\0ou_c']);
    // The member system's tier on the event: a member since the event happened (an import keeps history's dates).
    expect((await memberTiers(h.db, 'acme')).get('feishu\0ou_a')).toEqual({ tier: 'vip', since: Date.parse('2026-01-10T00:00:00Z') });
  });
});
