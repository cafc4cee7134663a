/**
 * The process under load in bench/webhook.ts: bare Koa hello-world (the baseline); reference
 * points — Koa reading the POST body and nothing else ('body'), Koa plus the Feishu adapter's
 * verify and parse with no storage and no decision ('receive': the work the protocol demands
 * before anything can be stored, so no receiver on this stack beats it), a naive durable
 * receiver (each raw body in its own SQLite transaction before the 200), the same receiver with
 * group commit ('naive-batched') — or the full service
 * with one Feishu shop, on an SQLite file, outbox sending off (the ack path only).
 * 'work20': Koa reading the body and then 20 µs of busy work, a yardstick for what any handler
 * work costs here. Prints "READY <port>" when listening.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import Koa from 'koa';
import { feishuAdapter } from '../adapters/feishu/index.js';
import { readRawBody } from '../src/http/raw-body.js';
import { readEnvOptions } from '../src/config/env.js';
import { createLogger } from '../src/log.js';
import { createService } from '../src/service.js';
import { benchFeishuConfig } from './shared.js';

const mode = process.argv[2];
/** The work20 yardstick's CPU work per request. */
const BUSY_WORK_NS = 20_000n;
function ready(server: import('node:http').Server) {
  server.on('listening', () => process.stdout.write(`READY ${(server.address() as { port: number }).port}\n`));
}
if (mode === 'naive' || mode === 'naive-batched') {
  const sqlite = new BetterSqlite3(join(mkdtempSync(join(tmpdir(), 'xiaoer-bench-')), 'naive.db'));
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.exec('create table inbox (id integer primary key, body blob not null, at integer not null)');
  const insert = sqlite.prepare('insert into inbox (body, at) values (?, ?)');
  // naive-batched: the same rows, committed together by whatever arrived in one turn of the event
  // loop, each ack after the shared commit (what src/db/batch.ts does for the real pipeline).
  let waiting: { body: Buffer; done: () => void }[] = [];
  const flush = sqlite.transaction((rows: typeof waiting) => {
    for (const r of rows) insert.run(r.body, Date.now());
  });
  const app = new Koa();
  app.use(async (ctx) => {
    const body = await readRawBody(ctx);
    if (mode === 'naive') {
      insert.run(body, Date.now()); // autocommit: one transaction per webhook
    } else {
      await new Promise<void>((done) => {
        if (waiting.push({ body, done }) === 1) {
          setImmediate(() => {
            const rows = waiting;
            waiting = [];
            flush(rows);
            for (const r of rows) r.done();
          });
        }
      });
    }
    ctx.body = { ok: true };
  });
  ready(app.listen(0, '127.0.0.1'));
} else if (mode === 'body') {
  const app = new Koa();
  app.use(async (ctx) => {
    await readRawBody(ctx);
    ctx.body = { ok: true };
  });
  ready(app.listen(0, '127.0.0.1'));
} else if (mode === 'work20') {
  // A yardstick, not a receiver: what 20 µs of any work per request (about what Feishu's verify +
  // decrypt + parse costs in a tight loop) does to the ratio on this machine.
  const app = new Koa();
  app.use(async (ctx) => {
    await readRawBody(ctx);
    const until = process.hrtime.bigint() + BUSY_WORK_NS;
    while (process.hrtime.bigint() < until) { /* busy: stands for CPU work */ }
    ctx.body = { ok: true };
  });
  ready(app.listen(0, '127.0.0.1'));
} else if (mode === 'receive') {
  const cfg = benchFeishuConfig().shops[0]!.channels.feishu!;
  const app = new Koa();
  app.use(async (ctx) => {
    const now = new Date();
    const body = await readRawBody(ctx);
    const verified = feishuAdapter.verify({ method: 'POST', query: {}, headers: ctx.headers as Record<string, string | undefined>, body }, cfg, now);
    if (!verified.ok) throw new Error(verified.reason); // a 500 counts as failed in the bench
    const parsed = feishuAdapter.parse(verified.payload, { shopId: 'bench', cfg, now });
    if (parsed.kind !== 'messages') throw new Error(`expected a message event, got ${parsed.kind}`);
    ctx.body = { ok: true };
  });
  ready(app.listen(0, '127.0.0.1'));
} else if (mode === 'bare') {
  const app = new Koa();
  app.use((ctx) => {
    ctx.body = { ok: true };
  });
  ready(app.listen(0, '127.0.0.1'));
} else {
  const dir = mkdtempSync(join(tmpdir(), 'xiaoer-bench-'));
  const config = benchFeishuConfig();
  const env = readEnvOptions({ DATABASE_URL: process.env.BENCH_DATABASE_URL ?? `sqlite:${join(dir, 'bench.db')}`, LOG_LEVEL: 'warn' });
  const service = await createService({ env, config, log: createLogger('warn'), worker: 'off' });
  const { port } = await service.listen(0, '127.0.0.1');
  process.stdout.write(`READY ${port}\n`);
}

// Exit cleanly on SIGTERM so `node --cpu-prof` can write its profile when profiling the bench.
process.on('SIGTERM', () => process.exit(0));
