import { clearLine, createInterface, cursorTo } from 'node:readline';
import { parseArgs } from 'node:util';
import axios from 'axios';
import { readEnvOptions } from '../config/env.js';
import { ORDER_HELP, orderPlayer } from './simulate-orders.js';

interface Reply {
  text: string;
  rule?: string;
  response?: string;
}

/** How often an open chat asks for messages sent to it later (staff replies from the desk, follow-ups). */
export const SIMULATE_POLL_MS = 2_000;
/** Piped input that played order events: how long to wait at the end for the care messages they queued. */
export const SIMULATE_LAST_LOOK_MS = 1_000;

interface Later {
  text: string | null;
  from: 'staff' | 'bot';
  staff?: string;
  rule?: string | null;
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
      'order-secret': { type: 'string' },
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
  if (interactive) process.stdout.write(`Chatting with shop "${values.shop}" as ${user} via ${endpoint}. /help for order events, Ctrl-D to quit.\n`);
  const orders = orderPlayer({ base, shop: values.shop, user, ...(values['order-secret'] ? { secret: values['order-secret'] } : {}) });

  const inbox = `${endpoint}/messages?user=${encodeURIComponent(user)}`;
  let cursor = (await poll(inbox, undefined, values.token))?.cursor;
  // Created after every await: readline starts reading at once, and lines read before the loop below is iterating are lost.
  const rl = createInterface({ input: process.stdin, output: interactive ? process.stdout : undefined, prompt: '你: ' });
  /** Prints what reached this customer since the last look; a failed look is tried again next time. */
  const look = async () => {
    if (cursor === undefined) return;
    const got = await poll(inbox, cursor, values.token);
    if (!got || got.messages.length === 0) return;
    cursor = got.cursor;
    if (interactive) {
      // Over the waiting "你: " prompt, which is drawn again below with whatever was typed.
      clearLine(process.stdout, 0);
      cursorTo(process.stdout, 0);
    }
    for (const m of got.messages) {
      process.stdout.write(`${m.from === 'staff' ? `店员 ${m.staff ?? ''}` : '小二（跟进）'}: ${m.text ?? ''}\n`);
      if (why && m.from === 'bot' && m.rule) process.stdout.write(`      ↳ rule: ${m.rule}\n`);
    }
    if (interactive) rl.prompt(true);
  };
  // One look at a time: the timer and a just-answered line looking with the same cursor would print a message twice.
  let looking: Promise<void> = Promise.resolve();
  const collect = () => (looking = looking.then(look));
  const timer = interactive ? setInterval(() => void collect(), SIMULATE_POLL_MS) : null;
  rl.on('close', () => timer && clearInterval(timer));
  if (interactive) rl.prompt();
  let playedOrders = false;
  for await (const line of rl) {
    const text = line.trim();
    if (text === '/help') process.stdout.write(`${ORDER_HELP}\n`);
    else if (/^\/order(\s|$)/.test(text)) {
      process.stdout.write(`${await orders.play(text)}\n`);
      playedOrders = true;
      await collect();
    } else if (text) {
      const outcome = await say(endpoint, user, text, values.token);
      if (!outcome.ok) {
        process.stderr.write(`${outcome.error}\n`);
        rl.close();
        return 1;
      }
      const { intent, guessed } = outcome.understood;
      for (const r of outcome.replies) {
        process.stdout.write(`小二: ${r.text}\n`);
        if (why && r.rule) process.stdout.write(`      ↳ rule: ${r.rule} · response: ${r.response}\n`);
      }
      // Answered on likeness, not a phrase: the desk and the report mark it for staff to check.
      if (why && guessed !== undefined && intent && outcome.replies.length) {
        process.stdout.write(`      ↳ guessed: no phrase matched; taken as ${intent}, ${Math.round(guessed * 100)}% alike to its examples (xiaoer explain says why)\n`);
      }
      if (outcome.replies.length === 0) {
        process.stdout.write(outcome.withPerson ? '小二: (no reply: a person has this conversation and answers from the staff desk)\n' : '小二: (no reply)\n');
      }
      await collect();
    }
    if (interactive) rl.prompt();
  }
  if (!interactive && playedOrders) {
    // The outbox sends care messages a moment after the event: a script would otherwise end before them.
    await new Promise((r) => setTimeout(r, SIMULATE_LAST_LOOK_MS));
    await collect();
  }
  return 0;
}

async function poll(url: string, after: number | undefined, token?: string): Promise<{ messages: Later[]; cursor: number } | null> {
  try {
    const res = await axios.get<{ messages: Later[]; cursor: number }>(after === undefined ? url : `${url}&after=${after}`, {
      validateStatus: () => true, timeout: 10_000, headers: token ? { Authorization: `Bearer ${token}` } : {},
    });
    return res.status === 200 ? res.data : null;
  } catch {
    return null; // the service is restarting or gone: the chat itself reports that on the next line
  }
}

type Understood = { intent?: string | null; guessed?: number };

async function say(
  endpoint: string, user: string, text: string, token?: string,
): Promise<{ ok: true; replies: Reply[]; withPerson: boolean; understood: Understood } | { ok: false; error: string }> {
  try {
    const res = await axios.post<{ replies?: Reply[]; withPerson?: boolean; reason?: string; understood?: Understood }>(endpoint, { user, text }, {
      validateStatus: () => true,
      timeout: 10_000,
      headers: token ? { Authorization: `Bearer ${token}` } : {},
    });
    if (res.status !== 200) return { ok: false, error: `simulate: HTTP ${res.status}: ${res.data?.reason ?? 'request refused'}` };
    return { ok: true, replies: res.data.replies ?? [], withPerson: res.data.withPerson === true, understood: res.data.understood ?? {} };
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
