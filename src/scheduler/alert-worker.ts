import { createHash } from 'node:crypto';
import type { AxiosInstance } from 'axios';
import type { Logger } from 'pino';
import type { Rate } from '../../adapters/shared/rate.js';
import { ROBOT_MESSAGES_PER_MINUTE, shopRobots, WECOM_ROBOT_MAX_BYTES } from '../../adapters/shared/robots.js';
import type { ShopConfig } from '../config/schema.js';
import { markAlerts, markDelivered, pendingAlerts, recordAlertFailure } from '../db/alerts.js';
import type { Alert, AlertKind } from '../db/alerts.js';
import type { Db, Dialect } from '../db/index.js';
import { withSharedTryLock } from '../db/locks.js';
import { createSendLimiter } from '../db/send-rates.js';
import type { Metrics } from '../metrics.js';
import { backoffMs } from './outbox-worker.js';
import { createTicker } from './ticker.js';

/** The shared lock the instance delivering alerts holds for its tick. */
const ALERT_LOCK = 'xiaoer:alerts';
/** Alerts looked at per tick. */
const ALERT_BATCH = 100;
/**
 * A robot that keeps failing: give up on an alert after this many tries (it stays listed, marked
 * failed). With the outbox's backoff (2 s doubling, capped at 10 min, half jittered) the tries
 * span roughly 20–40 minutes, so a robot outage shorter than that loses no alert.
 */
export const MAX_ALERT_ATTEMPTS = 12;
/** Lines of the conversation quoted in an alert. */
const TRANSCRIPT_LINES = 8;
const ROBOT_RATE: Rate = { count: ROBOT_MESSAGES_PER_MINUTE, windowMs: 60_000 };

const KIND_TITLE: Record<AlertKind, string> = {
  handoff: '转人工', handoff_waiting: '等待人工', dead_letter: '消息未送达', bad_review: '差评', playbook_rejected: '剧本错误', rule: '提醒', report: '周报',
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
  db: Db; dialect: Dialect; log: Logger; metrics: Metrics; http: AxiosInstance; shops: ReadonlyMap<string, ShopConfig>;
  now: () => number; wecomBase: string; random?: () => number;
}): AlertWorker {
  // Robots' rates are shared by the instances on one PostgreSQL: each delivers in turn.
  const sendLimit = createSendLimiter(deps.db, deps.dialect, deps.now);
  const random = deps.random ?? Math.random;

  const robotsOf = (shop: ShopConfig) => shopRobots(shop.alerts, deps);

  /**
   * Each robot gets the alerts it does not have yet, as few messages as fit. A robot over its
   * rate is left for the next minute (no try counted); a robot that fails counts a try for the
   * alerts of that message only, and the others it already has are never sent to it again.
   */
  async function deliver(shop: ShopConfig, alerts: Alert[]): Promise<void> {
    const robots = robotsOf(shop);
    if (robots.length === 0) {
      await markAlerts(deps.db, alerts.map((x) => x.id), 'failed', 'no alert robot configured (alerts: in xiaoer.yml)', deps.now());
      deps.log.warn({ shop: shop.id, alerts: alerts.length }, 'alerts not delivered: configure alerts.wecomRobotKey or alerts.feishuBot for this shop');
      return;
    }
    const failures = new Map<string, Alert[]>(); // reason → alerts whose message failed
    for (const robot of robots) {
      for (const chunk of chunks(shop, alerts.filter((x) => !x.deliveredTo.includes(robot.name)))) {
        // The robot's id holds its key or webhook address: only a digest of it is stored.
        if (await sendLimit([{ key: `robot:${createHash('sha256').update(robot.id).digest('hex').slice(0, 32)}`, rate: ROBOT_RATE }]) > 0) {
          deps.metrics.alerts.inc({ robot: robot.name, outcome: 'deferred' });
          break;
        }
        const r = await robot.send(chunk.text);
        deps.metrics.alerts.inc({ robot: robot.name, outcome: r.ok ? 'sent' : 'failed' });
        if (!r.ok) {
          deps.log.warn({ shop: shop.id, robot: robot.name, reason: r.reason }, 'alert robot failed; customer replies are not affected');
          failures.set(r.reason, [...(failures.get(r.reason) ?? []), ...chunk.alerts]);
          break;
        }
        await markDelivered(deps.db, chunk.alerts, robot.name);
        for (const x of chunk.alerts) x.deliveredTo.push(robot.name);
      }
    }
    const everywhere = alerts.filter((x) => robots.every((r) => x.deliveredTo.includes(r.name)));
    await markAlerts(deps.db, everywhere.map((x) => x.id), 'sent', null, deps.now());
    for (const [reason, failed] of failures) {
      // Alerts share a message when many are pending, so their tries stay in step; the first one's count sets the wait.
      const retryAt = deps.now() + backoffMs(failed[0]!.attempts + 1, random);
      await recordAlertFailure(deps.db, failed.map((x) => x.id), reason, retryAt, MAX_ALERT_ATTEMPTS);
    }
  }

  async function runOnce(): Promise<void> {
    const pending = await pendingAlerts(deps.db, ALERT_BATCH, deps.now());
    const byShop = new Map<string, Alert[]>();
    for (const a of pending) byShop.set(a.shopId, [...(byShop.get(a.shopId) ?? []), a]);
    for (const [shopId, alerts] of byShop) {
      const shop = deps.shops.get(shopId);
      if (shop) await deliver(shop, alerts);
      // A shop taken out of the configuration: its alerts stay listed, and stop holding up the others'.
      else await markAlerts(deps.db, alerts.map((x) => x.id), 'failed', `shop "${shopId}" is no longer in the configuration`, deps.now());
    }
  }

  const ticker = createTicker(async () => {
    // Several instances on one Postgres: one delivers at a time, so staff get each alert once
    // (the others find the lock taken and leave it to the next tick).
    await withSharedTryLock(deps.db, deps.dialect, ALERT_LOCK, runOnce);
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

/** Several alerts per message when many are pending (each message ≤ 4096 bytes), with the alerts it carries. */
function chunks(shop: ShopConfig, alerts: Alert[]): { text: string; alerts: Alert[] }[] {
  const out: { text: string; alerts: Alert[] }[] = [];
  for (const a of alerts) {
    const part = format(shop, a);
    const last = out.at(-1);
    const joined = last ? `${last.text}\n\n---\n\n${part}` : '';
    if (last && Buffer.byteLength(joined) <= WECOM_ROBOT_MAX_BYTES) {
      last.text = joined;
      last.alerts.push(a);
    } else out.push({ text: part, alerts: [a] });
  }
  return out;
}

function format(shop: ShopConfig, a: Alert): string {
  const lines = [`**【店小二·${KIND_TITLE[a.kind] ?? a.kind}】${shop.name}**`, a.text];
  if (a.conversationKey) lines.push(`> 会话：${a.conversationKey}`);
  const who = (t: Alert['transcript'][number]) => (t.who === 'customer' ? '顾客' : t.who === 'staff' ? `店员 ${t.name ?? ''}`.trim() : '小二');
  const transcript = a.transcript.slice(-TRANSCRIPT_LINES).map((t) => `> ${who(t)}：${t.text.slice(0, 120)}`);
  if (transcript.length) lines.push('最近对话：', ...transcript);
  return lines.join('\n');
}
