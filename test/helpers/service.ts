import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { vi } from 'vitest';
import { readEnvOptions } from '../../src/config/env.js';
import { loadConfig } from '../../src/config/load.js';
import { createLogger } from '../../src/log.js';
import { createService } from '../../src/service.js';
import type { Service } from '../../src/service.js';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { DINGTALK } from './dingtalk.js';
import { FAKE_SECRETS } from './fake-platforms.js';
import { WECOM } from './wecom.js';

export const FEISHU = {
  appId: 'cli_a1b2c3d4e5',
  appSecret: FAKE_SECRETS.feishu,
  verificationToken: 'verif-token-abc',
  encryptKey: 'encrypt-key-xyz',
} as const;

export const DEFAULT_PLAYBOOKS = join(PACKAGE_ROOT, 'playbooks');

/** Channel blocks for a shop with every platform (credentials match the fake platforms). */
export function allChannels(robotBase?: string): string {
  return `      wecom: { corpId: ${WECOM.corpId}, agentId: ${WECOM.agentId}, secret: \${ACME_WECOM_SECRET}, token: ${WECOM.token}, encodingAESKey: ${WECOM.encodingAESKey} }
      wecomKf: { openKfId: ${WECOM.openKfId} }
      dingtalk: { appKey: ${DINGTALK.appKey}, appSecret: \${ACME_DINGTALK_SECRET}, robotCode: ${DINGTALK.robotCode} }
${robotBase ? `    alerts:\n      wecomRobotKey: robot-key-1\n      feishuBot: { url: "${robotBase}/feishu-bot", secret: bot-secret }\n` : ''}`;
}

/** A config file in a temp dir: one shop "acme" with Feishu and local channels and the default playbooks. */
export const LOCAL_TOKEN = 'local-bearer-token-xyz';

export function writeConfig(opts: { playbooks?: string; extra?: string; businessHours?: string; channels?: string; localToken?: boolean } = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'xiaoer-'));
  const file = join(dir, 'xiaoer.yml');
  writeFileSync(file, `shops:
  - id: acme
    name: 阿克米旗舰店
    timezone: Asia/Shanghai
    businessHours: ${opts.businessHours ?? '{ from: "00:00", to: "00:00" }'}
    playbooks: ${opts.playbooks ?? DEFAULT_PLAYBOOKS}
    channels:
      feishu: { appId: ${FEISHU.appId}, appSecret: \${ACME_FEISHU_SECRET}, verificationToken: ${FEISHU.verificationToken}, encryptKey: ${FEISHU.encryptKey} }
      local: ${opts.localToken ? `{ token: ${LOCAL_TOKEN} }` : '{}'}
${opts.channels ?? ''}${opts.extra ?? ''}`);
  return file;
}

export class LogCapture extends Writable {
  lines: string[] = [];
  override _write(chunk: Buffer, _enc: string, cb: () => void): void {
    this.lines.push(chunk.toString('utf8'));
    cb();
  }
  get text(): string {
    return this.lines.join('');
  }
}

export interface TestService {
  service: Service;
  url: string;
  logs: LogCapture;
  close(): Promise<void>;
}

/** The real service on an ephemeral port, with its clock and randomness under the test's control. */
export async function startService(o: {
  databaseUrl: string;
  feishuBase?: string;
  configFile?: string;
  now?: () => Date;
  random?: () => number;
  worker?: 'auto' | 'manual' | 'off';
  watch?: boolean;
}): Promise<TestService> {
  const base = o.feishuBase ?? 'http://127.0.0.1:9';
  const env = readEnvOptions({ DATABASE_URL: o.databaseUrl, FEISHU_API_BASE: base, WECOM_API_BASE: base, DINGTALK_API_BASE: base, DINGTALK_OPENAPI_BASE: base, LOG_LEVEL: 'debug' });
  const config = loadConfig(o.configFile ?? writeConfig(), {
    ACME_FEISHU_SECRET: FEISHU.appSecret, ACME_WECOM_SECRET: FAKE_SECRETS.wecom, ACME_DINGTALK_SECRET: DINGTALK.appSecret,
  });
  const logs = new LogCapture();
  const service = await createService({
    env, config, log: createLogger('debug', logs), now: o.now, random: o.random, worker: o.worker ?? 'manual', watch: o.watch ?? false,
  });
  const { port } = await service.listen(0, '127.0.0.1');
  return { service, url: `http://127.0.0.1:${port}`, logs, close: () => service.close() };
}

/** A customer's line on the local channel of shop "acme", as a web chat would post it. */
export function localChat(baseUrl: string, user: string, text: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${baseUrl}/webhooks/local/acme`, {
    method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify({ user, text }),
  });
}

/**
 * For CLI tests (which read process.env): the platform APIs at `base` and the secrets the
 * writeConfig/allChannels configs name, each overridable (a wrong one to see a refusal).
 */
export function stubPlatformEnv(base: string, secrets: { feishu?: string; wecom?: string } = {}): void {
  vi.stubEnv('FEISHU_API_BASE', base);
  vi.stubEnv('WECOM_API_BASE', base);
  vi.stubEnv('DINGTALK_API_BASE', base);
  vi.stubEnv('DINGTALK_OPENAPI_BASE', base);
  vi.stubEnv('ACME_FEISHU_SECRET', secrets.feishu ?? FEISHU.appSecret);
  vi.stubEnv('ACME_WECOM_SECRET', secrets.wecom ?? FAKE_SECRETS.wecom);
  vi.stubEnv('ACME_DINGTALK_SECRET', DINGTALK.appSecret);
}
