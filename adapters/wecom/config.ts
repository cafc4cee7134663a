import { z } from 'zod';

/**
 * `channels.wecom`: a WeCom (企业微信) self-built app. From the admin console: 我的企业 → 企业ID
 * (corpId); 应用管理 → the app → AgentId and Secret; the app's 接收消息 → 设置API接收 → Token and
 * EncodingAESKey.
 */
export const wecomConfigSchema = z.strictObject({
  corpId: z.string().regex(/^ww[0-9a-z]+$|^wx[0-9a-z]+$/i, 'corpId looks like ww1234567890abcdef (我的企业 → 企业ID)'),
  agentId: z.number().int().positive(),
  secret: z.string().min(1),
  token: z.string().min(1).max(32),
  encodingAESKey: z.string().regex(/^[A-Za-z0-9]{43}$/, 'EncodingAESKey is 43 letters and digits'),
});
export type WecomConfig = z.infer<typeof wecomConfigSchema>;

/** `channels.wecomKf`: 微信客服 account, next to `channels.wecom` (same corp, same callback URL). */
export const wecomKfConfigSchema = z.strictObject({
  openKfId: z.string().regex(/^wk[\w-]+$/, 'openKfId looks like wkAbCdEf… (微信客服 → 账号 → 客服账号ID)'),
});
export type WecomKfConfig = z.infer<typeof wecomKfConfigSchema>;

export const WECOM_DEFAULT_API_BASE = 'https://qyapi.weixin.qq.com';
