import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { prepared } from '../../src/db/prepared.js';
import { openDb } from '../../src/db/index.js';
import { DIALECTS, freshDb, PG_URL } from '../helpers/db.js';

// One prepared query shared by both dialects' databases, as the repositories share theirs.
const insertCustomer = prepared<{ user: string; name: string | null; at: number }, { id: number }>((q, a) => q.insertInto('customers').values({
  shop_id: 'acme', channel: 'feishu', platform_user_id: a('user'), name: a('name'), tags: '[]', tier: null,
  first_seen_at: a('at'), last_seen_at: a('at'), opted_out_at: null,
}).returning('id'));
const byName = prepared<{ name: string; limit: number }, { platform_user_id: string }>((q, a) => q.selectFrom('customers')
  .select('platform_user_id').where('name', '=', a('name')).orderBy('id').limit(a('limit')));

describe.each(DIALECTS)('prepared queries on %s', (dialect) => {
  let h: Awaited<ReturnType<typeof freshDb>>;
  beforeEach(async () => {
    h = await freshDb(dialect);
  });
  afterEach(async () => {
    await h.cleanup();
  });

  it('fills each call with its own values, inside and outside transactions', async () => {
    await insertCustomer(h.db, { user: 'ou_1', name: '王女士', at: 1 });
    await h.db.transaction().execute(async (trx) => {
      await insertCustomer(trx, { user: 'ou_2', name: '王女士', at: 2 });
      await insertCustomer(trx, { user: 'ou_3', name: null, at: 3 });
    });
    expect((await byName(h.db, { name: '王女士', limit: 10 })).rows.map((r) => r.platform_user_id)).toEqual(['ou_1', 'ou_2']);
    expect((await byName(h.db, { name: '王女士', limit: 1 })).rows.map((r) => r.platform_user_id)).toEqual(['ou_1']);
    const nulls = await h.db.selectFrom('customers').select('platform_user_id').where('name', 'is', null).execute();
    expect(nulls).toEqual([{ platform_user_id: 'ou_3' }]);
  });

  it.runIf(dialect === 'postgres')('goes out on Postgres as a named statement, parsed once per connection', async () => {
    const names = await h.db.transaction().execute(async (trx) => {
      await byName(trx, { name: '王女士', limit: 1 });
      await byName(trx, { name: '李先生', limit: 1 });
      return (await sql<{ name: string; statement: string }>`select name, statement from pg_prepared_statements`.execute(trx)).rows;
    });
    const mine = names.filter((n) => n.statement.includes('"platform_user_id" from "customers" where "name"'));
    expect(mine).toHaveLength(1);
    expect(mine[0]!.name).toMatch(/^xiaoer_\d+$/);
  });

  it.runIf(dialect === 'postgres')('sends unnamed statements with ?named_statements=off (for PgBouncer)', async () => {
    const url = `${PG_URL}${PG_URL.includes('?') ? '&' : '?'}schema=${h.schema!}&named_statements=off`;
    const plain = openDb(url);
    try {
      const names = await plain.db.transaction().execute(async (trx) => {
        await byName(trx, { name: '王女士', limit: 1 });
        return (await sql<{ name: string }>`select name from pg_prepared_statements`.execute(trx)).rows;
      });
      expect(names).toEqual([]);
    } finally {
      await plain.close();
    }
  });

  it('refuses a call that leaves a slot without a value', async () => {
    await expect(byName(h.db, { name: '王女士' } as never)).rejects.toThrow('no value for slot "limit"');
  });
});
