/**
 * npm run bench:jobs — follow-ups at scale on SQLite: claim time as the jobs table grows
 * (10k, 100k, 1M pending rows, few of them due), then claim-and-send throughput of the due
 * ones through the real job runner and outbox worker to a local fake platform (WeCom app
 * messages: Feishu's 50 messages/s per app would be the bottleneck, not xiaoer).
 * Targets: claim time flat as the table grows; ≥ 2,000 sends/s.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { readEnvOptions } from '../src/config/env.js';
import { parseConfig } from '../src/config/load.js';
import { claimDueJobs } from '../src/db/jobs.js';
import { createLogger } from '../src/log.js';
import { PACKAGE_ROOT } from '../src/paths.js';
import { createService } from '../src/service.js';
import { spawn } from 'node:child_process';
import { FAKE_SECRETS } from '../test/helpers/fake-platforms.js';

const TOTAL = Number(process.env.BENCH_JOBS ?? 1_000_000);
const DUE = Number(process.env.BENCH_DUE ?? 5_000);
const SIZES = [10_000, 100_000, 1_000_000].filter((n) => n <= TOTAL);
const NOW = Date.parse('2026-11-27T12:00:00+08:00');

const dir = mkdtempSync(join(tmpdir(), 'xiaoer-jobs-bench-'));
const file = join(dir, 'jobs.db');
// The fake platform runs in its own process and reports how many messages it received.
const child = spawn(process.execPath, ['--import', 'tsx', join(PACKAGE_ROOT, 'bench', 'fake-platform.ts')], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
let delivered = 0;
child.on('message', (m: { delivered: number }) => (delivered = m.delivered));
const fake = await new Promise<{ base: string }>((resolve) => {
  let out = '';
  child.stdout!.on('data', (d) => {
    out += String(d);
    const m = /READY (\S+)/.exec(out);
    if (m) resolve({ base: m[1]! });
  });
});
const config = parseConfig(join(PACKAGE_ROOT, 'bench', 'xiaoer.yml'), `shops:
  - id: bench
    name: 压测店
    playbooks: ../playbooks
    channels:
      wecom: { corpId: wwbench0000000001, agentId: 1000002, secret: ${FAKE_SECRETS.wecom}, token: t, encodingAESKey: ${'a'.repeat(43)} }
    respect: { quietHours: { from: "03:00", to: "03:01" }, maxProactivePerDay: 50, maxProactivePerOrder: 50 }
`, {});
const env = readEnvOptions({ DATABASE_URL: `sqlite:${file}`, WECOM_API_BASE: fake.base, LOG_LEVEL: 'warn' });
const service = await createService({ env, config, log: createLogger('warn'), now: () => new Date(NOW), worker: 'manual', watch: false });

// Bulk-load with one prepared statement per table (the bench measures claiming, not loading).
const raw = new BetterSqlite3(file);
raw.pragma('journal_mode = WAL');
const insertCustomer = raw.prepare(`insert into customers (shop_id, channel, platform_user_id, name, tags, tier, first_seen_at, last_seen_at)
  values ('bench', 'wecom', ?, null, '[]', null, ?, ?)`);
const insertJob = raw.prepare(`insert into jobs (shop_id, kind, rule, category, customer_channel, customer_user_id, order_id, payload, due_at,
  not_after, state, attempts, dedup_key, created_at, updated_at) values ('bench', 'message', '发货提醒', 'care', 'wecom', ?, null, ?, ?, null, 'pending', 0, ?, ?, ?)`);
const payload = JSON.stringify({ text: '亲，您的宝贝已经发货啦！', response: 'shipped' });
raw.transaction(() => {
  for (let i = 0; i < DUE; i++) insertCustomer.run(`ou_${i}`, NOW - 86_400_000, NOW - 86_400_000);
})();
let loaded = 0;
function load(upTo: number) {
  raw.transaction(() => {
    for (; loaded < upTo; loaded++) {
      // Not due for weeks: they fill the table but must not slow the claim of the due ones.
      insertJob.run(`ou_${loaded % DUE}`, payload, NOW + 86_400_000 * (7 + (loaded % 60)), `bench:${loaded}`, NOW, NOW);
    }
  })();
}

const db = service.db.db;
console.log(`jobs bench: SQLite file, ${DUE} due jobs among up to ${TOTAL.toLocaleString()} pending`);
for (const size of SIZES) {
  load(size);
  raw.exec('analyze');
  const times: number[] = [];
  for (let i = 0; i < 50; i++) {
    const t = performance.now();
    await claimDueJobs(db, 'sqlite', NOW, 60_000, 200); // nothing due yet: the cost of looking
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  console.log(`claim with ${size.toLocaleString().padStart(9)} pending rows: median ${(times[25]! * 1000).toFixed(0)} µs`);
}

raw.transaction(() => {
  for (let i = 0; i < DUE; i++) insertJob.run(`ou_${i}`, payload, NOW - 1000, `bench:due:${i}`, NOW, NOW);
})();
raw.close();

const t0 = performance.now();
let queuedAt = 0;
while (delivered < DUE) {
  if (!queuedAt) {
    const left = await service.db.db.selectFrom('jobs').select((eb) => eb.fn.countAll<number>().as('n')).where('state', 'in', ['pending', 'running']).where('due_at', '<=', NOW).executeTakeFirstOrThrow();
    if (Number(left.n) === 0) queuedAt = performance.now();
  }
  const claimed = await service.jobs.tick();
  await service.worker.tick();
  if (claimed === 0) {
    await service.worker.idle();
    await new Promise((r) => setTimeout(r, 5));
  }
  if (performance.now() - t0 > 300_000) throw new Error(`only ${delivered}/${DUE} sent in 5 minutes`);
}
const seconds = (performance.now() - t0) / 1000;
console.log(`  all ${DUE} follow-ups claimed and queued after ${((queuedAt - t0) / 1000).toFixed(2)} s`);
console.log(`claimed, queued and sent ${DUE} due follow-ups in ${seconds.toFixed(2)} s: ${(DUE / seconds).toFixed(0)} sends/s (target ≥ 2,000)`);
await service.close();
child.kill('SIGTERM');
