import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { firstIdFrom, ID_ORDER_SLACK_MS, inboundMessages, scanPeriod } from '../../src/db/report.js';
import { DIALECTS, freshDb } from '../helpers/db.js';

const HOUR = 3_600_000;
const T0 = Date.parse('2026-01-01T00:00:00Z');

/** The report reads a period from an id found by bisection, and still counts exactly the period's rows. */
describe.each(DIALECTS)('report period bounds (%s)', (dialect) => {
  let h: Awaited<ReturnType<typeof freshDb>>;
  let conversationId = 0;
  beforeEach(async () => {
    h = await freshDb(dialect);
    const c = await h.db.insertInto('customers').values({
      shop_id: 'acme', channel: 'local', platform_user_id: 'u1', name: null, tags: '[]', tier: null, first_seen_at: T0, last_seen_at: T0, opted_out_at: null,
    }).returning('id').executeTakeFirstOrThrow();
    const conv = await h.db.insertInto('conversations').values({
      shop_id: 'acme', customer_id: c.id, key: 'local:u1:u1', state: '{}', handed_off_at: null, handoff_until: null, last_rule_fired: null, created_at: T0, updated_at: T0,
    }).returning('id').executeTakeFirstOrThrow();
    conversationId = Number(conv.id);
  });
  afterEach(() => h.cleanup());

  /** One message an hour for `hours` hours (some stamped a few minutes out of order), then a gap of deleted ids. */
  async function messages(hours: number) {
    const rows = Array.from({ length: hours }, (_, i) => ({
      shop_id: 'acme', channel: 'local', conversation_id: conversationId, direction: 'in' as const, platform_message_id: `m${i}`,
      delivery_id: null, kind: 'text', text: `第${i}小时`, rule: null, response: null, raw: null,
      created_at: T0 + i * HOUR + (i % 7 === 3 ? -20 * 60_000 : 0),
    }));
    await h.db.insertInto('messages').values(rows).execute();
    await h.db.deleteFrom('messages').where('platform_message_id', 'in', ['m100', 'm101', 'm102', 'm103']).execute();
  }

  it('starts the scan near the period and never after any of its rows', async () => {
    expect(await firstIdFrom(h.db, 'messages', T0)).toBe(0); // empty table
    await messages(500);
    const all = await h.db.selectFrom('messages').select(['id', 'created_at']).orderBy('id').execute();
    for (const hour of [0, 1, 50, 101, 102, 250, 499, 600]) {
      const at = T0 + hour * HOUR;
      const bound = await firstIdFrom(h.db, 'messages', at);
      // Every row stamped from (at - slack) on is at or after the bound…
      expect(all.filter((r) => Number(r.created_at) >= at - ID_ORDER_SLACK_MS).every((r) => Number(r.id) >= bound), `hour ${hour}`).toBe(true);
      // …and rows well before it are skipped (the bound is not just the table's start).
      const skipped = all.filter((r) => Number(r.id) < bound).length;
      if (hour >= 50 && hour < 500) expect(skipped, `hour ${hour}`).toBeGreaterThanOrEqual(hour - 6); // less 4 deleted and the slack
    }
  });

  it('counts exactly the period, rows stamped slightly out of order included', async () => {
    await messages(500);
    const p = { from: T0 + 200 * HOUR, to: T0 + 300 * HOUR };
    const got = await inboundMessages(h.db, 'acme', await scanPeriod(h.db, p));
    const want = await h.db.selectFrom('messages').select('text')
      .where('created_at', '>=', p.from).where('created_at', '<', p.to).orderBy('created_at').execute();
    expect(got.map((m) => m.text)).toEqual(want.map((m) => m.text));
    expect(got.length).toBeGreaterThan(95);
  });
});
