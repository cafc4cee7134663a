import type { AxiosInstance } from 'axios';
import type { Logger } from 'pino';
import { ROBOT_MESSAGES_PER_MINUTE, sendFeishuBot, sendWecomRobot, WECOM_ROBOT_MAX_BYTES } from '../../adapters/shared/robots.js';
import type { RobotResult } from '../../adapters/shared/robots.js';
import type { ShopConfig } from '../config/schema.js';
import { alertAttempts, markAlerts, pendingAlerts } from '../db/alerts.js';
import type { Alert } from '../db/alerts.js';
import type { Db } from '../db/index.js';
import type { Metrics } from '../metrics.js';
import { createTicker } from './ticker.js';

/** Alerts looked at per tick. */
const ALERT_BATCH = 100;
/** A robot that keeps failing: give up on an alert after this many tries (it stays listed, marked failed). */
const MAX_ALERT_ATTEMPTS = 5;
/** Lines of the conversation quoted in an alert. */
const TRANSCRIPT_LINES = 8;
const MINUTE_MS = 60_000;

const KIND_TITLE: Record<string, string> = {
  handoff: '转人工', dead_letter: '消息未送达', bad_review: '差评', playbook_rejected: '剧本错误', rule: '提醒',
};

export interface AlertWorker {
  poke(): void;
  tick(): Promise<void>;
  idle(): Promise<void>;
}

/**
 * Delivers staff alerts to each shop's robots, apart from customer replies: a failing robot is
 * logged and counted and never delays a customer. Robots take 20 messages a minute, so when
 * alerts pile up they are batched into one message, never dropped.
 */
export function createAlertWorker(deps: {
  db: Db; log: Logger; metrics: Metrics; http: AxiosInstance; shops: ReadonlyMap<string, ShopConfig>; now: () => number; wecomBase: string;
}): AlertWorker {
  const sentAt = new Map<string, number[]>(); // robot → send times in the last minute

  function budget(robot: string): number {
    const recent = (sentAt.get(robot) ?? []).filter((t) => deps.now() - t < MINUTE_MS);
    sentAt.set(robot, recent);
    return ROBOT_MESSAGES_PER_MINUTE - recent.length;
  }

  async function deliver(shop: ShopConfig, alerts: Alert[]): Promise<void> {
    const robots: { name: string; id: string; send: (text: string) => Promise<RobotResult> }[] = [];
    const a = shop.alerts;
    if (a.wecomRobotKey) {
      const key = a.wecomRobotKey;
      robots.push({ name: 'wecom', id: `wecom:${key.slice(-6)}`, send: (t) => sendWecomRobot(deps.http, deps.wecomBase, key, t) });
    }
    if (a.feishuBot) {
      const bot = a.feishuBot;
      robots.push({ name: 'feishu', id: `feishu:${bot.url}`, send: (t) => sendFeishuBot(deps.http, bot.url, bot.secret, t.replace(/\*\*|> /g, ''), deps.now()) });
    }
    const ids = alerts.map((x) => x.id);
    if (robots.length === 0) {
      await markAlerts(deps.db, ids, 'failed', 'no alert robot configured (alerts: in xiaoer.yml)', deps.now());
      deps.log.warn({ shop: shop.id, alerts: ids.length }, 'alerts not delivered: configure alerts.wecomRobotKey or alerts.feishuBot for this shop');
      return;
    }
    let failure: string | null = null;
    for (const robot of robots) {
      if (budget(robot.id) <= 0) {
        deps.metrics.alerts.inc({ robot: robot.name, outcome: 'deferred' });
        failure = failure ?? 'deferred';
        continue;
      }
      for (const text of chunks(shop, alerts)) {
        sentAt.get(robot.id)!.push(deps.now());
        const r = await robot.send(text);
        deps.metrics.alerts.inc({ robot: robot.name, outcome: r.ok ? 'sent' : 'failed' });
        if (!r.ok) {
          failure = r.reason;
          deps.log.warn({ shop: shop.id, robot: robot.name, reason: r.reason }, 'alert robot failed; customer replies are not affected');
          break;
        }
      }
    }
    if (failure === null) return markAlerts(deps.db, ids, 'sent', null, deps.now());
    if (failure === 'deferred') return; // over the robot's rate: stays pending for the next minute
    const attempts = await alertAttempts(deps.db, ids[0]!);
    await markAlerts(deps.db, ids, attempts + 1 >= MAX_ALERT_ATTEMPTS ? 'failed' : 'pending', failure, deps.now());
  }

  async function runOnce(): Promise<void> {
    const pending = await pendingAlerts(deps.db, ALERT_BATCH);
    const byShop = new Map<string, Alert[]>();
    for (const a of pending) byShop.set(a.shopId, [...(byShop.get(a.shopId) ?? []), a]);
    for (const [shopId, alerts] of byShop) {
      const shop = deps.shops.get(shopId);
      if (shop) await deliver(shop, alerts);
    }
  }

  const ticker = createTicker(async () => {
    await runOnce();
    return { handled: 0, more: false };
  }, (err) => deps.log.error({ err }, 'alert tick failed; alerts stay pending'));

  return {
    tick: async () => {
      await ticker.tick();
    },
    poke: () => void ticker.tick(),
    idle: ticker.idle,
  };
}

/** One markdown message per alert when few, several alerts per message when many (each ≤ 4096 bytes). */
function chunks(shop: ShopConfig, alerts: Alert[]): string[] {
  const parts = alerts.map((a) => format(shop, a));
  const out: string[] = [];
  let current = '';
  for (const p of parts) {
    const next = current ? `${current}\n\n---\n\n${p}` : p;
    if (Buffer.byteLength(next) > WECOM_ROBOT_MAX_BYTES && current) {
      out.push(current);
      current = p;
    } else current = next;
  }
  if (current) out.push(current);
  return out;
}

function format(shop: ShopConfig, a: Alert): string {
  const lines = [`**【店小二·${KIND_TITLE[a.kind] ?? a.kind}】${shop.name}**`, a.text];
  if (a.conversationKey) lines.push(`> 会话：${a.conversationKey}`);
  const transcript = a.transcript.slice(-TRANSCRIPT_LINES).map((t) => `> ${t.who === 'customer' ? '顾客' : '小二'}：${t.text.slice(0, 120)}`);
  if (transcript.length) lines.push('最近对话：', ...transcript);
  return lines.join('\n');
}
