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
  /**
   * Where a conversation the bot hands over goes. desk: staff answer at xiaoer's desk (replies go
   * out through the API; the session stays the API's). pool: the session moves to the account's
   * 待接入池 for its 接待人员 in the WeCom client. { servicer: userid }: straight to that person
   * (who must be 接待中). https://developer.work.weixin.qq.com/document/path/94669
   */
  handoffTo: z.union([
    z.enum(['desk', 'pool']),
    z.strictObject({ servicer: z.string().min(1, 'servicer is the 接待人员\'s WeCom userid') }),
  ], { error: 'handoffTo is desk, pool, or { servicer: <接待人员 userid> }' }).default('desk'),
});
export type WecomKfConfig = z.infer<typeof wecomKfConfigSchema>;

export const WECOM_DEFAULT_API_BASE = 'https://qyapi.weixin.qq.com';
