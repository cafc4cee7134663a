import type { OutboundMessage, SendResult } from '../../src/types/index.js';
import { classifyThrown } from '../shared/http.js';
import { callWithToken } from '../shared/wecom-token.js';
import type { WecomReply } from '../shared/wecom-token.js';
import type { SendContext } from '../types.js';
import { classifyWecom, truncateBytes, WECOM_TEXT_MAX_BYTES } from '../wecom/send.js';
import { KF_ERR_SESSION_NOT_API, KF_WELCOME_CODE_TTL_MS } from './config.js';
import type { KfConfig } from './config.js';

/**
 * A greeting for enter_session goes through send_msg_on_event with the welcome_code; every
 * other reply through send_msg. Our idempotency key becomes the platform msgid (≤ 32 chars).
 * https://developer.work.weixin.qq.com/document/path/94677 · https://developer.work.weixin.qq.com/document/path/95122
 */
export async function sendKf(msg: OutboundMessage, cfg: KfConfig, ctx: SendContext): Promise<SendResult> {
  if (msg.action?.kind === 'kfTransfer') return transferKf(msg, msg.action.servicer, cfg, ctx);
  if (msg.action?.kind === 'kfEndSession') return endKfSession(msg, cfg, ctx);
  const welcomeCode = typeof msg.replyContext.welcomeCode === 'string' ? msg.replyContext.welcomeCode : null;
  if (welcomeCode) {
    const age = ctx.now() - Number(msg.replyContext.welcomeAt ?? 0);
    if (age > KF_WELCOME_CODE_TTL_MS) return { ok: false, retry: 'skip', reason: `welcome_code expired (${Math.round(age / 1000)} s old, valid 20 s)` };
  }
  const content = { msgtype: 'text', text: { content: truncateBytes(msg.text, WECOM_TEXT_MAX_BYTES) }, msgid: msg.idempotencyKey };
  try {
    let status = 0;
    const body = await callWithToken(cfg.corpId, cfg.secret, ctx, async (token) => {
      const res = welcomeCode
        ? await ctx.http.post<WecomReply>(`${ctx.apiBase}/cgi-bin/kf/send_msg_on_event`, { code: welcomeCode, ...content }, { params: { access_token: token } })
        : await ctx.http.post<WecomReply>(`${ctx.apiBase}/cgi-bin/kf/send_msg`,
          { touser: msg.customerId, open_kfid: String(msg.replyContext.openKfId ?? cfg.openKfId), ...content }, { params: { access_token: token } });
      status = res.status;
      return res.data ?? {};
    });
    if (body.errcode === KF_ERR_SESSION_NOT_API) {
      return {
        ok: false, retry: 'never', personHasSession: true,
        reason: `微信客服 refused the reply (errcode ${KF_ERR_SESSION_NOT_API}): a 接待人员 serves this session or it waits in the 待接入池, and the API may not answer in it. `
          + 'If every reply fails this way, the 客服账号 gives new sessions to its 接待人员 first: let the API receive them (企业微信管理后台 → 微信客服 → this account\'s 接待人员 / 接待方式).',
      };
    }
    const result = classifyWecom(body, status);
    // A welcome code is single use: a failed greeting cannot be retried with it.
    if (!result.ok && welcomeCode && result.retry === 'backoff') return { ok: false, retry: 'skip', reason: `welcome not sent: ${result.reason}` };
    return result;
  } catch (err) {
    const failed = classifyThrown(err);
    return welcomeCode ? { ok: false, retry: 'skip', reason: `welcome not sent: ${failed.reason}` } : failed;
  }
}

/** service_state values: 2 the 待接入池, 3 a named 接待人员, 4 ended. */
const KF_STATE_POOL = 2;
const KF_STATE_SERVICER = 3;
const KF_STATE_ENDED = 4;

type StateReply = WecomReply & { service_state?: number; servicer_userid?: string };

/** One 微信客服 session-state call (get or trans) with the app's token; the platform's answer as it came. */
async function stateCall(path: 'get' | 'trans', body: Record<string, unknown>, cfg: KfConfig, ctx: SendContext): Promise<{ body: StateReply; status: number }> {
  let status = 0;
  const reply = await callWithToken(cfg.corpId, cfg.secret, ctx, async (token) => {
    const res = await ctx.http.post<StateReply>(
      `${ctx.apiBase}/cgi-bin/kf/service_state/${path}`, body, { params: { access_token: token } });
    status = res.status;
    return res.data ?? {};
  });
  return { body: reply, status };
}

/**
 * Hands the session to people: the account's 待接入池, or one 接待人员 (who must be 接待中).
 * Queued behind the handoff reply, which must go first: once transferred, the API may not reply.
 * https://developer.work.weixin.qq.com/document/path/94669#变更会话状态
 */
async function transferKf(msg: OutboundMessage, servicer: string | null, cfg: KfConfig, ctx: SendContext): Promise<SendResult> {
  const to = servicer ? `接待人员 ${servicer}` : 'the 待接入池';
  try {
    const { body, status } = await stateCall('trans', {
      open_kfid: String(msg.replyContext.openKfId ?? cfg.openKfId), external_userid: msg.customerId,
      service_state: servicer ? KF_STATE_SERVICER : KF_STATE_POOL, ...(servicer ? { servicer_userid: servicer } : {}),
    }, cfg, ctx);
    const result = classifyWecom(body, status);
    return result.ok ? { ok: true } : { ...result, reason: `transfer to ${to} refused: ${result.reason}` };
  } catch (err) {
    return classifyThrown(err);
  }
}

/**
 * Staff gave the conversation back to the bot: while a 接待人员 holds the session (state 3) the
 * API may not reply in it (95018), so the session is ended and the customer's next message
 * opens a new one the API answers. A session the API has, or that is over, is left alone. One
 * still waiting in the 待接入池 cannot be ended through the API (the pool only passes a session
 * to a person): that is refused with what staff can do instead.
 * https://developer.work.weixin.qq.com/document/path/94669#获取会话状态
 */
async function endKfSession(msg: OutboundMessage, cfg: KfConfig, ctx: SendContext): Promise<SendResult> {
  const session = { open_kfid: String(msg.replyContext.openKfId ?? cfg.openKfId), external_userid: msg.customerId };
  try {
    const state = await stateCall('get', session, cfg, ctx);
    const read = classifyWecom(state.body, state.status);
    if (!read.ok) return { ...read, reason: `reading the session state failed: ${read.reason}` };
    if (state.body.service_state === KF_STATE_POOL) {
      return {
        ok: false, retry: 'never', personHasSession: true,
        reason: 'the session waits in the 待接入池, and the API cannot end a session there (it can only pass it to a 接待人员)',
      };
    }
    if (state.body.service_state !== KF_STATE_SERVICER) return { ok: true };
    const ended = await stateCall('trans', { ...session, service_state: KF_STATE_ENDED }, cfg, ctx);
    const result = classifyWecom(ended.body, ended.status);
    return result.ok ? { ok: true } : { ...result, reason: `ending the 接待人员's session refused: ${result.reason}` };
  } catch (err) {
    return classifyThrown(err);
  }
}
