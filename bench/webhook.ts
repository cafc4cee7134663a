/**
 * npm run bench — req/s and p99 of bare Koa hello-world vs the full Feishu pipeline
 * (signed + encrypted event → verify → decrypt → dedup insert → match → outbox insert →
 * durable commit → ack), same connections and duration, and their ratio.
 * The server runs in its own process; this process only generates load. Reference lines show
 * where the cost goes: Koa reading the POST body, the body plus 20 µs of busy work (a yardstick:
 * with the load generator on the same machine each µs of handler work costs more than a µs of
 * server CPU), Koa plus the Feishu adapter's verify/parse (no storage: the ceiling of any Feishu
 * receiver here) and a naive durable receiver. Server
 * CPU per request (from /proc, Linux only) is steadier than req/s on a shared machine; the last
 * line measures it for bare Koa and the pipeline at one fixed offered rate (BENCH_FIXED_RATE).
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { PACKAGE_ROOT } from '../src/paths.js';
import { receiveEvent, signedEncrypted } from '../test/helpers/feishu.js';
import { BENCH_FEISHU } from './shared.js';

const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const DURATION_S = Number(process.env.BENCH_SECONDS ?? 10);
/** Enough distinct events that none repeats during the run (a repeat would take the cheaper dedup path). */
const POOL = Number(process.env.BENCH_POOL ?? 150_000);
const WARMUP_S = 2;
/**
 * The same load for both, below what either saturates at: CPU per request then compares the work
 * each does for one webhook, free of the load generator's share of the machine (at full speed the
 * idle generator is woken for every response, which inflates the slower server's CPU per request).
 */
const FIXED_RATE = Number(process.env.BENCH_FIXED_RATE ?? 2000);

type Mode = 'bare' | 'body' | 'work20' | 'receive' | 'naive' | 'naive-batched' | 'pipeline';

async function startServer(mode: Mode): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(PACKAGE_ROOT, 'bench', 'server.ts'), mode], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  for await (const chunk of child.stdout!) {
    out += String(chunk);
    const m = /READY (\d+)/.exec(out);
    if (m) return { child, port: Number(m[1]) };
  }
  throw new Error(`bench server (${mode}) did not start`);
}

/** CPU seconds the process has used, or null where /proc is not there. */
function cpuSeconds(pid: number | undefined): number | null {
  const stat = `/proc/${pid}/stat`;
  if (pid === undefined || !existsSync(stat)) return null;
  // Fields after "(comm) ": utime and stime are the 12th and 13th, in clock ticks (100 per second on Linux).
  const fields = readFileSync(stat, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function load(port: number, requests: autocannon.Request[] | undefined, duration = DURATION_S, overallRate?: number) {
  const result = await autocannon({
    ...(overallRate ? { overallRate } : {}),
    url: `http://127.0.0.1:${port}${requests ? '/webhooks/feishu/bench' : '/'}`,
    ...(requests ? {} : { method: 'GET' as const }),
    connections: CONNECTIONS,
    duration,
    ...(requests ? { requests } : {}),
  });
  const failed = result.non2xx + result.errors + result.timeouts;
  return { rps: result.requests.average, p99: result.latency.p99, total: result.requests.total, failed };
}

function feishuRequests(pool = POOL): autocannon.Request[] {
  const now = Math.floor(Date.now() / 1000);
  const bodies = Array.from({ length: pool }, (_, i) =>
    signedEncrypted(receiveEvent({ token: BENCH_FEISHU.verificationToken, text: i % 2 ? '你好' : '什么时候发货', openId: `ou_${i % 5000}` }), BENCH_FEISHU.encryptKey, now));
  let next = 0;
  return [{
    method: 'POST',
    setupRequest: (req) => {
      const b = bodies[next++ % bodies.length]!;
      return { ...req, method: 'POST', path: '/webhooks/feishu/bench', headers: b.headers, body: b.body };
    },
  }];
}

async function measure(mode: Mode, requests?: autocannon.Request[], overallRate?: number) {
  const { child, port } = await startServer(mode);
  try {
    await load(port, requests && feishuRequests(WARMUP_S * 5000), WARMUP_S); // JIT warm-up, discarded
    const cpuBefore = cpuSeconds(child.pid);
    const result = await load(port, requests, DURATION_S, overallRate);
    const cpuAfter = cpuSeconds(child.pid);
    const cpuUs = cpuBefore === null || cpuAfter === null ? null : ((cpuAfter - cpuBefore) * 1e6) / result.total;
    return { ...result, cpuUs };
  } finally {
    child.kill('SIGTERM');
    await once(child, 'exit');
  }
}

const bare = await measure('bare');
const body = await measure('body', feishuRequests());
const work20 = await measure('work20', feishuRequests());
const receive = await measure('receive', feishuRequests());
const naive = await measure('naive', feishuRequests());
const naiveBatched = await measure('naive-batched', feishuRequests());
const pipeline = await measure('pipeline', feishuRequests());
const bareAtRate = await measure('bare', undefined, FIXED_RATE);
const pipelineAtRate = await measure('pipeline', feishuRequests(), FIXED_RATE);
type Row = Awaited<ReturnType<typeof measure>>;
const line = (label: string, r: Row, note: string) => console.log(
  `${label.padEnd(16)}${r.rps.toFixed(0).padStart(7)} req/s  ${(r.rps / bare.rps).toFixed(2)}×  p99 ${String(r.p99).padStart(3)} ms  `
  + `${r.cpuUs === null ? '' : `${r.cpuUs.toFixed(0).padStart(4)} µs CPU/req  `}(${r.failed} failed${note})`);
console.log(`connections ${CONNECTIONS}, ${DURATION_S}s each, server in its own process; ratios against bare Koa`);
line('bare koa', bare, '; GET, hello world');
line('read body', body, '; Koa reading each POST body, nothing else');
line('+ 20 µs work', work20, '; the body, then 20 µs of busy work: what any handler work costs here');
line('verify only', receive, '; + signature, decrypt, token, parse: no storage, the ceiling of any receiver');
line('naive receiver', naive, '; raw body in its own SQLite transaction, nothing verified or decided');
line('naive, batched', naiveBatched, '; the same rows, acks after a shared commit per event-loop turn');
line('feishu pipeline', pipeline, '');
console.log(`ratio ${(pipeline.rps / bare.rps).toFixed(2)}× bare Koa (target ≥ 0.5); ${(pipeline.rps / receive.rps).toFixed(2)}× verify-only; ${(pipeline.rps / naive.rps).toFixed(2)}× the naive durable receiver`);
if (bareAtRate.cpuUs !== null && pipelineAtRate.cpuUs !== null) {
  console.log(`at ${FIXED_RATE} req/s offered to both: bare Koa ${bareAtRate.cpuUs.toFixed(0)} µs CPU/req (p99 ${bareAtRate.p99} ms), `
    + `feishu pipeline ${pipelineAtRate.cpuUs.toFixed(0)} µs CPU/req (p99 ${pipelineAtRate.p99} ms): ${(bareAtRate.cpuUs / pipelineAtRate.cpuUs).toFixed(2)}× bare Koa's requests per CPU second`);
}
if (body.failed + work20.failed + receive.failed + pipeline.failed + naive.failed + naiveBatched.failed + bareAtRate.failed + pipelineAtRate.failed > 0) process.exitCode = 1;
