import { callWithToken } from '../shared/wecom-token.js';
import type { WecomReply } from '../shared/wecom-token.js';
import type { SendContext } from '../types.js';
import { KF_SYNC_LIMIT } from './config.js';
import type { KfConfig } from './config.js';
import type { KfItem } from './parse.js';

type SyncReply = WecomReply & { next_cursor?: string; has_more?: number; msg_list?: KfItem[] };

export interface KfBatch {
  items: KfItem[];
  nextCursor: string;
  hasMore: boolean;
}

/**
 * One sync_msg call. The callback's Token lifts the strict rate limit and is valid 10 minutes.
 * https://developer.work.weixin.qq.com/document/path/94670
 */
export async function syncKf(cfg: KfConfig, callbackToken: string, cursor: string | null, ctx: SendContext): Promise<KfBatch> {
  const body = await callWithToken(cfg.corpId, cfg.secret, ctx, async (accessToken) => {
    const res = await ctx.http.post<SyncReply>(
      `${ctx.apiBase}/cgi-bin/kf/sync_msg`,
      { ...(cursor ? { cursor } : {}), token: callbackToken, limit: KF_SYNC_LIMIT, voice_format: 0, open_kfid: cfg.openKfId },
      { params: { access_token: accessToken } },
    );
    if (res.status !== 200) throw new Error(`sync_msg: HTTP ${res.status}`);
    return res.data ?? {};
  });
  if (body.errcode !== 0) throw new Error(`sync_msg: errcode ${String(body.errcode)} ${body.errmsg ?? ''}`);
  return { items: body.msg_list ?? [], nextCursor: body.next_cursor ?? cursor ?? '', hasMore: body.has_more === 1 };
}

/** external_userids per customer/batchget call: the API's limit. */
export const KF_CUSTOMERS_PER_CALL = 100;

type CustomersReply = WecomReply & { customer_list?: { external_userid?: string; nickname?: string }[] };

/**
 * The WeChat nicknames of these customers, for the desk, alerts and `{{customer.name}}`. The API
 * knows only customers who wrote or opened a chat in the last 48 hours; others are left out.
 * https://developer.work.weixin.qq.com/document/path/95159
 */
export async function kfNicknames(cfg: KfConfig, ids: readonly string[], ctx: SendContext): Promise<Map<string, string>> {
  const names = new Map<string, string>();
  for (let i = 0; i < ids.length; i += KF_CUSTOMERS_PER_CALL) {
    const body = await callWithToken(cfg.corpId, cfg.secret, ctx, async (accessToken) => {
      const res = await ctx.http.post<CustomersReply>(`${ctx.apiBase}/cgi-bin/kf/customer/batchget`,
        { external_userid_list: ids.slice(i, i + KF_CUSTOMERS_PER_CALL), need_enter_session_context: 0 }, { params: { access_token: accessToken } });
      if (res.status !== 200) throw new Error(`customer/batchget: HTTP ${res.status}`);
      return res.data ?? {};
    });
    if (body.errcode !== 0) throw new Error(`customer/batchget: errcode ${String(body.errcode)} ${body.errmsg ?? ''}`);
    for (const c of body.customer_list ?? []) {
      const name = c.nickname?.trim();
      if (c.external_userid && name) names.set(c.external_userid, name);
    }
  }
  return names;
}
