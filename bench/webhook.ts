/**
 * npm run bench — req/s and p99 of bare Koa hello-world vs the full Feishu pipeline
 * (signed + encrypted event → verify → decrypt → dedup insert → match → outbox insert →
 * durable commit → ack), same connections and duration, and their ratio.
 * The server runs in its own process; this process only generates load.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
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

type Mode = 'bare' | 'naive' | 'pipeline';

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

async function load(port: number, requests: autocannon.Request[] | undefined, duration = DURATION_S) {
  const result = await autocannon({
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

async function measure(mode: Mode, requests?: autocannon.Request[]) {
  const { child, port } = await startServer(mode);
  try {
    await load(port, requests && feishuRequests(WARMUP_S * 5000), WARMUP_S); // JIT warm-up, discarded
    return await load(port, requests);
  } finally {
    child.kill('SIGTERM');
    await once(child, 'exit');
  }
}

const bare = await measure('bare');
const naive = await measure('naive', feishuRequests());
const pipeline = await measure('pipeline', feishuRequests());
const ratio = pipeline.rps / bare.rps;
console.log(`connections ${CONNECTIONS}, ${DURATION_S}s each, server in its own process`);
console.log(`bare koa        ${bare.rps.toFixed(0).padStart(7)} req/s  p99 ${bare.p99} ms  (${bare.failed} failed)`);
console.log(`naive receiver  ${naive.rps.toFixed(0).padStart(7)} req/s  p99 ${naive.p99} ms  (${naive.failed} failed; same events, one SQLite transaction each, nothing verified or decided)`);
console.log(`feishu pipeline ${pipeline.rps.toFixed(0).padStart(7)} req/s  p99 ${pipeline.p99} ms  (${pipeline.failed} failed)`);
console.log(`ratio ${ratio.toFixed(2)}× bare Koa (target ≥ 0.5); ${(pipeline.rps / naive.rps).toFixed(2)}× the naive durable receiver`);
if (pipeline.failed + naive.failed > 0) process.exitCode = 1;
