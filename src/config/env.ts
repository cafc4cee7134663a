import { z } from 'zod';
import { DINGTALK_DEFAULT_API_BASE, DINGTALK_DEFAULT_OPENAPI_BASE } from '../../adapters/dingtalk/config.js';
import { FEISHU_DEFAULT_API_BASE } from '../../adapters/feishu/config.js';
import { WECOM_DEFAULT_API_BASE } from '../../adapters/wecom/config.js';
import { ValidationError } from '../errors.js';
import type { Channel } from '../types/index.js';

/** Process environment, read once (probot's readEnvOptions): pure, so tests pass their own. */
const envSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  DATABASE_URL: z.string().regex(/^(sqlite:|postgres(ql)?:\/\/)/, 'use sqlite:<file> or postgres://…').default('sqlite:./data/xiaoer.db'),
  XIAOER_CONFIG: z.string().optional(),
  FEISHU_API_BASE: z.url().default(FEISHU_DEFAULT_API_BASE),
  WECOM_API_BASE: z.url().default(WECOM_DEFAULT_API_BASE),
  DINGTALK_API_BASE: z.url().default(DINGTALK_DEFAULT_API_BASE),
  DINGTALK_OPENAPI_BASE: z.url().default(DINGTALK_DEFAULT_OPENAPI_BASE),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export interface EnvOptions {
  readonly port: number;
  readonly databaseUrl: string;
  /** Set only when the operator named a config file; else ./xiaoer.yml or the demo shop. */
  readonly configPath: string | undefined;
  readonly apiBase: { readonly feishu: string; readonly wecom: string; readonly dingtalk: string; readonly dingtalkOpenApi: string };
  readonly logLevel: string;
}

export function readEnvOptions(env: Readonly<Record<string, string | undefined>> = process.env): EnvOptions {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    throw new ValidationError('CONFIG_INVALID', parsed.error.issues.map((i) => ({
      file: '(environment)', line: 0, col: 0, field: i.path.join('.'), message: i.message, severity: 'error' as const,
    })));
  }
  const e = parsed.data;
  return Object.freeze({
    port: e.PORT,
    databaseUrl: e.DATABASE_URL,
    configPath: e.XIAOER_CONFIG,
    apiBase: Object.freeze({
      feishu: e.FEISHU_API_BASE.replace(/\/+$/, ''),
      wecom: e.WECOM_API_BASE.replace(/\/+$/, ''),
      dingtalk: e.DINGTALK_API_BASE.replace(/\/+$/, ''),
      dingtalkOpenApi: e.DINGTALK_OPENAPI_BASE.replace(/\/+$/, ''),
    }),
    logLevel: e.LOG_LEVEL,
  });
}

/** The API origin a channel's calls go to (微信客服 is part of WeCom; the local channel calls nothing). */
/** Where a channel's platform calls go: its API origin, and DingTalk's second host. */
export function platformBases(env: EnvOptions, channel: Channel): { apiBase: string; openApiBase?: string } {
  return { apiBase: apiBaseOf(env, channel), ...(channel === 'dingtalk' ? { openApiBase: env.apiBase.dingtalkOpenApi } : {}) };
}

export function apiBaseOf(env: EnvOptions, channel: Channel): string {
  if (channel === 'local') return '';
  return channel === 'wecomKf' ? env.apiBase.wecom : env.apiBase[channel];
}
