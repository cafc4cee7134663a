import { z } from 'zod';

/** `channels.feishu` in xiaoer.yml: the values from the app's "Credentials" and "Events & Callbacks" pages. */
export const feishuConfigSchema = z.strictObject({
  appId: z.string().regex(/^cli_\w+$/, 'appId looks like cli_xxxxxxxx (Feishu console → Credentials & Basic Info)'),
  appSecret: z.string().min(1),
  verificationToken: z.string().min(1),
  /** Optional in Feishu; when set, bodies are encrypted and every event is signed. Strongly recommended. */
  encryptKey: z.string().min(1).optional(),
});
export type FeishuConfig = z.infer<typeof feishuConfigSchema>;

/** Env `FEISHU_API_BASE` lets tests and Lark (open.larksuite.com) users point elsewhere. */
export const FEISHU_DEFAULT_API_BASE = 'https://open.feishu.cn';
