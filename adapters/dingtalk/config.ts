import { z } from 'zod';

/**
 * `channels.dingtalk`: a DingTalk internal app with a robot (open-dev.dingtalk.com → the app →
 * 凭证与基础信息: AppKey/AppSecret; 机器人与消息推送: RobotCode, message receiving mode HTTP).
 */
export const dingtalkConfigSchema = z.strictObject({
  appKey: z.string().min(1),
  appSecret: z.string().min(1),
  robotCode: z.string().min(1),
});
export type DingtalkConfig = z.infer<typeof dingtalkConfigSchema>;

export const DINGTALK_DEFAULT_API_BASE = 'https://oapi.dingtalk.com';
/** DingTalk's newer API host (access tokens, robot message files). */
export const DINGTALK_DEFAULT_OPENAPI_BASE = 'https://api.dingtalk.com';
