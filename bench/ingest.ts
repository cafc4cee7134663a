/**
 * npm run bench:ingest — where the write path's time goes: runs the real ingest (store, decide,
 * queue) for Feishu-like messages in group commits of BENCH_BATCH on an SQLite file, and prints
 * the time per message and each SQL statement's share, commit included. A diagnostic beside
 * bench/webhook.ts (which has the target): it found the kysely rebuild cost and the per-row
 * index pages the migrations since trimmed.
 * Message and event ids are random, as the platforms' are: random keys dirty a different index
 * page per row, which is most of what a commit costs.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import type { SqliteDatabase, SqliteStatement } from 'kysely';
import { createWriteBatcher } from '../src/db/batch.js';
import { migrateToLatest, tuneSqlite } from '../src/db/index.js';
import type { Database } from '../src/db/schema.js';
import { ingest } from '../src/engine/ingest.js';
import { createLogger } from '../src/log.js';
import { createPlaybookStore } from '../src/playbook/store.js';
import { benchFeishuConfig } from './shared.js';

const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 40_000);
const BATCH = Number(process.env.BENCH_BATCH ?? 32);
const CUSTOMERS = 5_000;

const sqlite = new BetterSqlite3(join(mkdtempSync(join(tmpdir(), 'xiaoer-ingest-')), 'bench.db'));
tuneSqlite(sqlite); // the service's own settings

/** Statement text → [total ns, calls]; better-sqlite3 runs synchronously, so the clock brackets SQLite alone. */
const spent = new Map<string, [number, number]>();
const statements = new Map<string, SqliteStatement>();
const timed: SqliteDatabase = {
  close: () => sqlite.close(),
  prepare(sql) {
    let stmt = statements.get(sql);
    if (!stmt) {
      const real = sqlite.prepare(sql);
      const clock = <T>(run: () => T): T => {
        const t = process.hrtime.bigint();
        const result = run();
        const entry = spent.get(sql) ?? [0, 0];
        entry[0] += Number(process.hrtime.bigint() - t);
        entry[1] += 1;
        spent.set(sql, entry);
        return result;
      };
      stmt = {
        reader: real.reader,
        all: (p) => clock(() => real.all(p) as unknown[]),
        run: (p) => clock(() => real.run(p) as { changes: number; lastInsertRowid: number }),
        iterate: (p) => real.iterate(p) as IterableIterator<unknown>,
      };
      statements.set(sql, stmt);
    }
    return stmt;
  },
};
const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: timed }) });
await migrateToLatest(db);
spent.clear();

const config = benchFeishuConfig();
const shop = config.shops[0]!;
const playbook = createPlaybookStore(config.shops, createLogger('warn')).get(shop.id);
const batcher = createWriteBatcher(db, BATCH);
const PADDING = 'x'.repeat(400); // a Feishu event's raw JSON is ~600 bytes

const started = performance.now();
for (let done = 0; done < MESSAGES; done += BATCH) {
  await Promise.all(Array.from({ length: Math.min(BATCH, MESSAGES - done) }, (_, j) => {
    const i = done + j;
    const user = `ou_${i % CUSTOMERS}`;
    const messageId = `om_${randomUUID().replace(/-/g, '')}`;
    const eventId = randomUUID().replace(/-/g, '');
    const text = i % 2 ? '你好' : '什么时候发货';
    return batcher.run((trx) => ingest(trx, {
      shopId: shop.id, channel: 'feishu', platformMessageId: messageId, deliveryId: eventId, customerId: user, customerName: null,
      conversationKey: `feishu:oc_${user}:${user}`, text, kind: 'text', receivedAt: new Date(),
      replyContext: { chatId: `oc_${user}` },
      raw: { schema: '2.0', header: { event_id: eventId, event_type: 'im.message.receive_v1' }, event: { message: { message_id: messageId, text, PADDING } } },
    }, { shop, playbook, random: Math.random }));
  }));
}
const perMessage = (performance.now() - started) * 1000 / MESSAGES;

console.log(`${MESSAGES.toLocaleString()} messages in commits of ${BATCH}: ${perMessage.toFixed(1)} µs per message`);
let sqliteTotal = 0;
for (const [sql, [ns, calls]] of [...spent].sort((a, b) => b[1][0] - a[1][0])) {
  sqliteTotal += ns;
  console.log(`${(ns / MESSAGES / 1000).toFixed(1).padStart(6)} µs/msg ${(ns / calls / 1000).toFixed(1).padStart(7)} µs/call ${String(calls).padStart(7)}×  ${process.env.BENCH_FULL_SQL ? sql : sql.slice(0, 80)}`);
}
console.log(`SQLite ${(sqliteTotal / MESSAGES / 1000).toFixed(1)} µs per message; the rest (${(perMessage - sqliteTotal / MESSAGES / 1000).toFixed(1)} µs) is JavaScript: decide, kysely, JSON`);
await db.destroy();
