import type Router from '@koa/router';
import type { Context } from 'koa';
import { localTokenRefusal } from '../../adapters/local/verify.js';
import type { ShopConfig } from '../config/schema.js';
import { laterMessagesForLocal, latestMessageIdForLocal, STAFF_RULE } from '../db/desk.js';
import type { Db } from '../db/index.js';
import { RequestError } from '../errors.js';
import { answerRefused } from './refuse.js';

/** Messages handed out per poll; a chat that fell further behind gets the rest on the next one. */
export const LOCAL_INBOX_PAGE = 50;

/**
 * GET /webhooks/local/:shop/messages?user=U&after=N — what reached a local-channel customer
 * after their chat request was answered: staff replies from the desk and follow-ups. The local
 * channel has no platform to push them, so its client (xiaoer simulate, a shop's web chat)
 * polls. Without `after` it answers only the cursor to start from, so old messages are not
 * replayed. Same Bearer token as posting to the channel.
 */
export function mountLocalInbox(router: Router, deps: { db: Db; shops: ReadonlyMap<string, ShopConfig> }): void {
  router.get('/webhooks/local/:shop/messages', async (ctx: Context) => {
    try {
      const shop = deps.shops.get(String(ctx.params.shop));
      const cfg = shop?.channels.local;
      if (!shop || !cfg) throw new RequestError(404, `unknown shop "${String(ctx.params.shop)}" or it has no local channel`);
      const refused = localTokenRefusal(ctx.get('authorization'), cfg);
      if (refused) throw new RequestError(401, refused);
      const user = typeof ctx.query.user === 'string' ? ctx.query.user.trim() : '';
      if (!user) throw new RequestError(400, 'user: the customer id the chat posts as (?user=u1)');
      const afterRaw = ctx.query.after;
      if (afterRaw === undefined) {
        ctx.body = { messages: [], cursor: await latestMessageIdForLocal(deps.db, shop.id, user) };
        return;
      }
      const after = Number(afterRaw);
      if (typeof afterRaw !== 'string' || !Number.isSafeInteger(after) || after < 0) throw new RequestError(400, 'after: the cursor of the last poll (a whole number)');
      const rows = await laterMessagesForLocal(deps.db, shop.id, user, after, LOCAL_INBOX_PAGE);
      ctx.body = {
        messages: rows.map((m) => ({
          id: m.id, text: m.text, at: m.at,
          ...(m.rule === STAFF_RULE ? { from: 'staff', staff: m.response } : { from: 'bot', rule: m.rule }),
        })),
        cursor: rows.at(-1)?.id ?? after,
      };
    } catch (err) {
      if (!(err instanceof RequestError)) throw err;
      answerRefused(ctx, err);
    }
  });
}
