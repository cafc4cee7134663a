import type { AxiosInstance } from 'axios';
import { hmacSha256 } from './crypto.js';

/** Markdown content is limited to 4096 bytes on the WeCom group robot. */
export const WECOM_ROBOT_MAX_BYTES = 4096;
/** Robots accept 20 messages a minute (WeCom; DingTalk and Feishu custom bots are alike). */
export const ROBOT_MESSAGES_PER_MINUTE = 20;

export type RobotResult = { ok: true } | { ok: false; reason: string };

// https://developer.work.weixin.qq.com/document/path/91770
export async function sendWecomRobot(http: AxiosInstance, base: string, key: string, markdown: string): Promise<RobotResult> {
  try {
    const res = await http.post<{ errcode?: number; errmsg?: string }>(`${base}/cgi-bin/webhook/send`,
      { msgtype: 'markdown', markdown: { content: markdown } }, { params: { key } });
    if (res.status === 200 && res.data?.errcode === 0) return { ok: true };
    return { ok: false, reason: `WeCom robot: HTTP ${res.status} errcode ${String(res.data?.errcode)} ${res.data?.errmsg ?? ''}` };
  } catch (err) {
    return { ok: false, reason: `WeCom robot: ${(err as Error).message}` };
  }
}

/** sign = base64(HmacSHA256(key = timestamp + "\n" + secret, message = "")). */
export function feishuBotSign(timestampSec: number, secret: string): string {
  return hmacSha256(`${timestampSec}\n${secret}`, '').toString('base64');
}

// https://open.feishu.cn/document/client-docs/bot-v3/add-custom-bot
export async function sendFeishuBot(http: AxiosInstance, url: string, secret: string | undefined, text: string, nowMs: number): Promise<RobotResult> {
  const timestamp = Math.floor(nowMs / 1000);
  try {
    const res = await http.post<{ code?: number; msg?: string; StatusCode?: number }>(url, {
      ...(secret ? { timestamp: String(timestamp), sign: feishuBotSign(timestamp, secret) } : {}),
      msg_type: 'text',
      content: { text },
    });
    const code = res.data?.code ?? res.data?.StatusCode;
    if (res.status === 200 && code === 0) return { ok: true };
    return { ok: false, reason: `Feishu bot: HTTP ${res.status} code ${String(code)} ${res.data?.msg ?? ''}` };
  } catch (err) {
    return { ok: false, reason: `Feishu bot: ${(err as Error).message}` };
  }
}

export interface Robot {
  /** Stored in alerts.delivered_to; a shop has at most one robot of each kind. */
  name: 'wecom' | 'feishu';
  /** Rate-limit key: the robot itself, which several shops may share. */
  id: string;
  /** Markdown as the WeCom robot takes it; the Feishu bot gets it as plain text. */
  send(text: string): Promise<RobotResult>;
}

/** The staff-group robots a shop's `alerts:` configures, ready to send (the alert worker and `xiaoer alerts test`). */
export function shopRobots(
  alerts: { readonly wecomRobotKey?: string | undefined; readonly feishuBot?: { readonly url: string; readonly secret?: string | undefined } | undefined },
  deps: { http: AxiosInstance; wecomBase: string; now: () => number },
): Robot[] {
  const robots: Robot[] = [];
  if (alerts.wecomRobotKey) {
    const key = alerts.wecomRobotKey;
    robots.push({ name: 'wecom', id: `wecom:${key}`, send: (t) => sendWecomRobot(deps.http, deps.wecomBase, key, t) });
  }
  if (alerts.feishuBot) {
    const bot = alerts.feishuBot;
    robots.push({ name: 'feishu', id: `feishu:${bot.url}`, send: (t) => sendFeishuBot(deps.http, bot.url, bot.secret, t.replace(/\*\*|> /g, ''), deps.now()) });
  }
  return robots;
}
