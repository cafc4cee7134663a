import { feishuAdapter } from '../adapters/feishu/index.js';
import { receiveEvent, signedEncrypted } from '../test/helpers/feishu.js';
import { BENCH_FEISHU, benchFeishuConfig } from './shared.js';
const cfg = benchFeishuConfig().shops[0]!.channels.feishu!;
const now = Math.floor(Date.now() / 1000);
const bodies = Array.from({ length: 20000 }, (_, i) => signedEncrypted(receiveEvent({ token: BENCH_FEISHU.verificationToken, text: i % 2 ? '你好' : '什么时候发货', openId: `ou_${i % 5000}` }), BENCH_FEISHU.encryptKey, now));
console.log('body bytes', bodies[0]!.body.length);
for (let r = 0; r < 3; r++) {
  let t = performance.now(); const d = new Date();
  for (const b of bodies) { const v = feishuAdapter.verify({ method: 'POST', query: {}, headers: b.headers as Record<string,string>, body: Buffer.from(b.body) }, cfg, d); if (!v.ok) throw new Error(v.reason); }
  const v1 = (performance.now() - t) * 1000 / bodies.length;
  t = performance.now();
  for (const b of bodies) { const v = feishuAdapter.verify({ method: 'POST', query: {}, headers: b.headers as Record<string,string>, body: Buffer.from(b.body) }, cfg, d); if (!v.ok) throw 1; feishuAdapter.parse(v.payload, { shopId: 'bench', cfg, now: d }); }
  const v2 = (performance.now() - t) * 1000 / bodies.length;
  console.log(`verify ${v1.toFixed(1)} µs, verify+parse ${v2.toFixed(1)} µs`);
}
