import type { WecomConfig, WecomKfConfig } from '../wecom/config.js';

/** 微信客服 uses the corp's app credentials (channels.wecom) plus the 客服账号 (channels.wecomKf). */
export type KfConfig = WecomConfig & WecomKfConfig;

/** The customer's message opens a 48-hour window for at most 5 replies (protocols.md §3). */
export const KF_REPLY_WINDOW_MS = 48 * 60 * 60 * 1000;
export const KF_REPLIES_PER_MESSAGE = 5;
/** welcome_code is valid 20 s and single use; past that the greeting is skipped, never sent late. */
export const KF_WELCOME_CODE_TTL_MS = 20_000;
/** sync_msg returns at most 1000 messages per call. */
export const KF_SYNC_LIMIT = 1000;
/**
 * send_msg's answer when the session is not the API's to answer: a 接待人员 serves it (state 3)
 * or it waits in the 待接入池 (state 2). https://developer.work.weixin.qq.com/document/path/94669
 */
export const KF_ERR_SESSION_NOT_API = 95018;
