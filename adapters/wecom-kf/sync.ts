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
