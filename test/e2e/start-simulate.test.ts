import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/paths.js';

const BIN = join(PACKAGE_ROOT, 'bin', 'xiaoer.js');

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

function run(args: string[], env: Record<string, string>, input?: string): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...env }, cwd: env.CWD });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += String(d)));
    child.stderr.on('data', (d) => (err += String(d)));
    child.on('close', (code) => resolve({ code, out, err }));
    child.stdin.end(input ?? '');
  });
}

// The compiled CLI, as `npm start` and `npx xiaoer` run it (npm install builds it via `prepare`).
describe('xiaoer serve + simulate (compiled CLI; npm install builds it)', () => {
  let port: number;
  let server: ReturnType<typeof spawn>;
  let logs = '';
  const cwd = mkdtempSync(join(tmpdir(), 'xiaoer-start-'));

  beforeAll(async () => {
    port = await freePort();
    server = spawn(process.execPath, [BIN, 'serve'], {
      cwd, env: { ...process.env, PORT: String(port), DATABASE_URL: 'sqlite:./data/xiaoer.db', XIAOER_CONFIG: '' },
    });
    server.stdout!.on('data', (d) => (logs += String(d)));
    server.stderr!.on('data', (d) => (logs += String(d)));
    // The demo-shop notice is logged just after "listening", possibly in a later chunk: wait for both.
    for (let i = 0; i < 100 && !(logs.includes('xiaoer is listening') && logs.includes('demo shop')); i++) await new Promise((r) => setTimeout(r, 100));
    expect(logs).toContain('xiaoer is listening');
  });
  afterAll(async () => {
    server.kill('SIGTERM');
    await new Promise((r) => server.once('close', r));
  });

  it('serves the demo shop from a fresh directory and simulate answers 你好 with the greeting', async () => {
    expect(logs).toContain('demo shop');
    expect(existsSync(join(cwd, 'data', 'xiaoer.db'))).toBe(true);
    const r = await run(['simulate', '--shop', 'demo', '--user', 'e2e-user'], { PORT: String(port), CWD: cwd }, '你好\n么时候发货呀\n发票能开吗\n');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/小二: .*(欢迎光临|欢迎来到)小二演示店/);
    expect(r.out).toMatch(/rule: 新客户问候/);
    expect(r.out).toMatch(/小二: .*发票/);
    // A slip of the keys answered on likeness: simulate says it was a guess (only that once).
    expect(r.out).toMatch(/↳ rule: 发货时间 · response: shipping-time\n {6}↳ guessed: no phrase matched; taken as faq\.shipping_time, \d+% alike to its examples/);
    expect(r.out.match(/↳ guessed/g)).toHaveLength(1);
  });

  it('a reply a person writes at the demo desk reaches the open simulate chat', async () => {
    const chat = spawn(process.execPath, [BIN, 'simulate', '--shop', 'demo', '--user', 'e2e-desk'], { env: { ...process.env, PORT: String(port) }, cwd });
    let out = '';
    chat.stdout.on('data', (d) => (out += String(d)));
    const waitFor = async (re: RegExp) => {
      for (let i = 0; i < 100 && !re.test(out); i++) await new Promise((r) => setTimeout(r, 50));
      expect(out).toMatch(re);
    };
    chat.stdin.write('转人工\n');
    await waitFor(/人工/);
    const auth = { authorization: `Basic ${Buffer.from('小李:xiaoer-demo-desk').toString('base64')}` };
    const list = await (await fetch(`http://127.0.0.1:${port}/desk/demo/api/conversations`, { headers: auth })).json() as { conversations: { id: number; key: string }[] };
    const conv = list.conversations.find((c) => c.key === 'local:e2e-desk:e2e-desk')!;
    const res = await fetch(`http://127.0.0.1:${port}/desk/demo/api/conversations/${conv.id}/reply`, {
      method: 'POST', headers: { ...auth, 'content-type': 'application/json', 'x-xiaoer-desk': '1' }, body: JSON.stringify({ text: '亲，我是小李，请讲' }),
    });
    expect(res.status).toBe(202);
    chat.stdin.end('好的\n');
    await new Promise((r) => chat.once('close', r));
    expect(out).toContain('店员 小李: 亲，我是小李，请讲');
    expect(out).toContain('小二: (no reply: a person has this conversation and answers from the staff desk)'); // the bot stays quiet while a person has the chat
  });

  it('simulate plays the order system too: /order lines are signed events, and 查物流 answers from that order', async () => {
    const r = await run(['simulate', '--shop', 'demo', '--user', 'e2e-orders'], { PORT: String(port), CWD: cwd },
      '/order created\n/order shipped\n我的快递到哪了\n/order reviewed six\n/order refund_requested 不想要了\n');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/订单系统: 订单 40\d{8} order\.created accepted · rules: 催付-安排/);
    const [, id, tracking] = /订单 (40\d{8}) order\.shipped（中通快递 (ZT\d{10})） accepted · rules: 发货提醒/.exec(r.out) ?? [];
    expect(id).toBeDefined();
    expect(r.out).toMatch(new RegExp(`小二: 亲，.*订单 ${id} 已经发(货啦|出了).*中通快递.*运单号 ${tracking}`)); // either variation
    expect(r.out).toMatch(/rule: 查询物流-已发货/);
    expect(r.out).toContain('usage: /order reviewed 1-5 [text]');
    expect(r.out).toMatch(/order\.refund_requested accepted · rules: 退款申请/);
    // The shipping care the event queued reaches the chat before simulate ends — except in the
    // demo shop's quiet hours (22:00–08:00 Shanghai), when it waits for the morning.
    const hour = Number(new Intl.DateTimeFormat('en-GB', { timeZone: 'Asia/Shanghai', hour: '2-digit', hourCycle: 'h23' }).format(new Date()));
    const care = new RegExp(`小二（跟进）: .*${tracking}`);
    if (hour >= 8 && hour < 22) expect(r.out).toMatch(care);
    else {
      expect(r.out).not.toMatch(care);
      expect(r.out).toMatch(/↳ 发货提醒: waits until \S+ — quiet hours 22:00–08:00/); // and simulate says so
    }
    const forged = await run(['simulate', '--shop', 'demo', '--user', 'e2e-forged', '--order-secret', 'not-the-demo-secret'], { PORT: String(port), CWD: cwd }, '/order paid\n');
    expect(forged.out).toMatch(/order\.paid refused: HTTP 401: X-Xiaoer-Signature does not match/);
  });

  it('a reader closing the pipe early (xiaoer test | head -1) ends the CLI quietly, not with an EPIPE crash', async () => {
    const child = spawn(process.execPath, [BIN, 'test'], { cwd, env: { ...process.env, XIAOER_CONFIG: '' } });
    let err = '';
    child.stderr.on('data', (d) => (err += String(d)));
    child.stdout.once('data', () => child.stdout.destroy());
    const code = await new Promise<number | null>((r) => child.once('close', r));
    expect(err).not.toMatch(/EPIPE|Unhandled/);
    expect(code).toBe(0);
  });

  it('simulate says what to do when the service is not running or the shop is unknown', async () => {
    const closed = await run(['simulate', '--shop', 'demo'], { PORT: String(await freePort()), CWD: cwd }, '/order created\n你好\n');
    expect(closed.code).toBe(1);
    expect(closed.out).toMatch(/^simulate: nothing is listening at http:\/\/127\.0\.0\.1:\d+; start the service first \(npm start\)/);
    expect(closed.err).toMatch(/npm start/);
    const unknown = await run(['simulate', '--shop', 'nope'], { PORT: String(port), CWD: cwd }, '你好\n');
    expect(unknown.err).toMatch(/404.*unknown shop/);
  });
});
