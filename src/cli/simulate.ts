import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import axios from 'axios';
import { readEnvOptions } from '../config/env.js';

interface Reply {
  text: string;
  rule?: string;
  response?: string;
}

/**
 * Chats with a shop's bot through the running service's local channel: the same engine,
 * store and playbooks as a real customer message. Lines come from the terminal or a pipe.
 */
export async function runSimulate(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      shop: { type: 'string', short: 's' },
      user: { type: 'string', short: 'u' },
      url: { type: 'string' },
      token: { type: 'string' },
      'no-why': { type: 'boolean' },
    },
    strict: true,
  });
  if (!values.shop) {
    process.stderr.write('simulate: --shop ID is required (the demo shop is "demo")\n');
    return 1;
  }
  const env = readEnvOptions();
  const base = (values.url ?? `http://127.0.0.1:${env.port}`).replace(/\/+$/, '');
  const user = values.user ?? `sim-${process.pid}`;
  const why = !values['no-why'];
  const endpoint = `${base}/webhooks/local/${encodeURIComponent(values.shop)}`;
  const interactive = process.stdin.isTTY === true;
  if (interactive) process.stdout.write(`Chatting with shop "${values.shop}" as ${user} via ${endpoint}. Ctrl-D to quit.\n`);

  const rl = createInterface({ input: process.stdin, output: interactive ? process.stdout : undefined, prompt: '你: ' });
  if (interactive) rl.prompt();
  for await (const line of rl) {
    const text = line.trim();
    if (text) {
      const outcome = await say(endpoint, user, text, values.token);
      if (!outcome.ok) {
        process.stderr.write(`${outcome.error}\n`);
        rl.close();
        return 1;
      }
      for (const r of outcome.replies) {
        process.stdout.write(`小二: ${r.text}\n`);
        if (why && r.rule) process.stdout.write(`      ↳ rule: ${r.rule} · response: ${r.response}\n`);
      }
      if (outcome.replies.length === 0) process.stdout.write('小二: (no reply)\n');
    }
    if (interactive) rl.prompt();
  }
  return 0;
}

async function say(endpoint: string, user: string, text: string, token?: string): Promise<{ ok: true; replies: Reply[] } | { ok: false; error: string }> {
  try {
    const res = await axios.post<{ replies?: Reply[]; reason?: string }>(endpoint, { user, text }, {
      validateStatus: () => true,
      timeout: 10_000,
      headers: token ? { Authorization: `Bearer ${token}` } : {},
    });
    if (res.status !== 200) return { ok: false, error: `simulate: HTTP ${res.status}: ${res.data?.reason ?? 'request refused'}` };
    return { ok: true, replies: res.data.replies ?? [] };
  } catch (err) {
    const code = (err as { code?: string }).code;
    return {
      ok: false,
      error: code === 'ECONNREFUSED'
        ? `simulate: nothing is listening at ${endpoint}; start the service first (npm start), or pass --url`
        : `simulate: ${err instanceof Error ? err.message : String(err)}`,
    };
  }
}
