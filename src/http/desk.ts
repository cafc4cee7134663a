import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type Router from '@koa/router';
import type { Context } from 'koa';
import type { ShopConfig } from '../config/schema.js';
import { customerBatchKey } from '../db/batch.js';
import { isPostgres } from '../db/prepared.js';
import type { Unit, WriteBatcher } from '../db/batch.js';
import type { MediaRef, MediaResult } from '../../adapters/types.js';
import { deskConversation, deskTranscript, findByCustomer, inboundRaw, listRecent, listWithPerson, setHandoff } from '../db/desk.js';
import type { DeskConversation, MediaReader } from '../db/desk.js';
import type { Db } from '../db/index.js';
import { changeTags, CUSTOMER_LABEL_MAX } from '../db/customers.js';
import { recentOrdersOf } from '../db/orders.js';
import { shopAndCustomerVars } from '../engine/decide.js';
import { quickReplies } from '../engine/quick-replies.js';
import { queueStaffReply, releaseToBot, STAFF_MAX_TEXT_BYTES } from '../engine/staff.js';
import { RequestError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import { PACKAGE_ROOT } from '../paths.js';
import type { PlaybookStore } from '../playbook/store.js';
import { mountDeskLessons, withReadings } from './desk-lessons.js';
import { createDeskAuth, databaseFailures, memoryFailures } from './desk-auth.js';
import { readJsonBody } from './raw-body.js';
import { answerRefused } from './refuse.js';

/** Messages of a conversation the desk shows: enough to read back a whole handoff. */
export const DESK_TRANSCRIPT_MESSAGES = 100;
/** The customer's latest orders shown beside the chat (most questions after a handoff are about one). */
export const DESK_ORDERS = 5;
/** A cross-site form cannot set this header, so a signed-in browser cannot be made to post for another site. */
export const DESK_CSRF_HEADER = 'x-xiaoer-desk';

export interface DeskDeps {
  db: Db;
  shops: ReadonlyMap<string, ShopConfig>;
  playbooks: PlaybookStore;
  batcher: WriteBatcher;
  log: Logger;
  metrics: Metrics;
  now: () => Date;
  /** After a staff reply is committed: send it now rather than on the next tick. */
  onQueued: () => void;
  /** Customers' pictures and files: where they are in a stored message, and fetching one from the platform. */
  media: { of: MediaReader; fetch(shop: ShopConfig, channel: string, ref: MediaRef): Promise<MediaResult> };
}

/**
 * Pictures the desk shows inline. Anything else a customer sent (a file, a voice note, or a
 * "picture" of another type) is served as a download, never rendered on the desk's origin:
 * a customer's HTML file must not run with a signed-in person's credentials.
 */
const INLINE_IMAGE_TYPES = new Set(['image/jpeg', 'image/png', 'image/gif', 'image/webp', 'image/bmp']);
/** Staff reopen a conversation often; the platform's copy does not change. */
const MEDIA_CACHE_SECONDS = 24 * 60 * 60;

/**
 * The staff desk (人工接待台): GET /desk/:shop is the page; /desk/:shop/api/… is what it calls.
 * Every route needs the shop's desk password; POSTs also need DESK_CSRF_HEADER.
 */
export function mountDesk(router: Router, deps: DeskDeps): void {
  // Wrong desk passwords are counted where every instance sees them (PostgreSQL), else in memory.
  const staffOf = createDeskAuth(() => deps.now().getTime(), isPostgres(deps.db) ? databaseFailures(deps.db) : memoryFailures());
  const page = readFileSync(join(PACKAGE_ROOT, 'web', 'desk.html'), 'utf8');

  const route = (handler: (ctx: Context, shop: ShopConfig, staff: string) => Promise<void>) => async (ctx: Context) => {
    try {
      const shop = deps.shops.get(String(ctx.params.shop));
      if (!shop) throw new RequestError(404, `unknown shop "${String(ctx.params.shop)}"`);
      const staff = await staffOf(ctx, shop);
      if (ctx.method !== 'GET' && ctx.get(DESK_CSRF_HEADER) !== '1') throw new RequestError(403, `${ctx.method} needs the header ${DESK_CSRF_HEADER}: 1`);
      await handler(ctx, shop, staff);
    } catch (err) {
      if (!(err instanceof RequestError)) throw err;
      answerRefused(ctx, err);
    }
  };
  const at = () => deps.now().getTime();
  /** Writes for one customer share their lane of the write batcher, so they keep order with the customer's own messages. */
  const inCustomerLane = <T>(shop: ShopConfig, c: DeskConversation, unit: Unit<T>) =>
    deps.batcher.run(unit, customerBatchKey(shop.id, c.channel, c.customer.userId));
  async function conversationOf(ctx: Context, shop: ShopConfig): Promise<DeskConversation> {
    const id = Number(ctx.params.id);
    const c = Number.isSafeInteger(id) && id > 0 ? await deskConversation(deps.db, shop.id, id, at()) : undefined;
    if (!c) throw new RequestError(404, `no conversation ${String(ctx.params.id)} in shop ${shop.id}`);
    return c;
  }

  mountDeskLessons(router, route, {
    db: deps.db, playbooks: deps.playbooks, log: deps.log, metrics: deps.metrics, now: at,
    async inLane(shop, conversationId, unit) {
      const c = await deskConversation(deps.db, shop.id, conversationId, at());
      if (!c) throw new RequestError(404, `no conversation ${conversationId} in shop ${shop.id}`);
      return inCustomerLane(shop, c, unit);
    },
  });

  router.get('/desk/:shop', route(async (ctx, shop) => {
    ctx.type = 'text/html; charset=utf-8';
    ctx.set('Cache-Control', 'no-store');
    ctx.set('Content-Security-Policy', "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; frame-ancestors 'none'");
    ctx.body = page.replaceAll('{{shopName}}', escapeHtml(shop.name));
  }));
  router.get('/desk/:shop/api/me', route(async (ctx, shop, staff) => {
    ctx.body = { staff, shop: { id: shop.id, name: shop.name } };
  }));
  router.get('/desk/:shop/api/conversations', route(async (ctx, shop) => {
    const customer = typeof ctx.query.customer === 'string' ? ctx.query.customer.trim() : '';
    const recent = ctx.query.recent === '1';
    ctx.body = {
      conversations: customer ? await findByCustomer(deps.db, shop.id, customer, at())
        : recent ? await listRecent(deps.db, shop.id, at()) : await listWithPerson(deps.db, shop.id, at()),
    };
  }));
  router.get('/desk/:shop/api/conversations/:id', route(async (ctx, shop) => {
    const conversation = await conversationOf(ctx, shop);
    const [messages, orders] = await Promise.all([
      deskTranscript(deps.db, conversation.id, DESK_TRANSCRIPT_MESSAGES, deps.media.of),
      recentOrdersOf(deps.db, shop.id, conversation.channel, conversation.customer.userId, DESK_ORDERS),
    ]);
    ctx.body = {
      conversation, messages: await withReadings(deps.db, messages, deps.playbooks.get(shop.id)),
      orders: orders.map((o) => ({ id: o.orderId, state: o.state, ...o.data, updatedAt: o.updatedAt })),
    };
  }));
  router.get('/desk/:shop/api/messages/:id/media/:index', route(async (ctx, shop) => {
    const id = Number(ctx.params.id);
    const index = Number(ctx.params.index);
    const stored = Number.isSafeInteger(id) && id > 0 ? await inboundRaw(deps.db, shop.id, id) : undefined;
    if (!stored) throw new RequestError(404, `no customer message ${String(ctx.params.id)} in shop ${shop.id}`);
    const ref = Number.isSafeInteger(index) && index >= 0 ? deps.media.of(stored.channel, stored.raw)[index] : undefined;
    if (!ref) throw new RequestError(404, `message ${id} has no picture or file ${String(ctx.params.index)} (or its stored copy was cleared)`);
    const got = await deps.media.fetch(shop, stored.channel, ref);
    if (!got.ok) {
      deps.log.warn({ shop: shop.id, message: id, channel: stored.channel, reason: got.reason }, 'customer media could not be fetched');
      throw new RequestError(got.status, got.status === 404
        ? `the platform no longer has it (${got.reason}); WeCom keeps customers' media 3 days — see it in the platform's client`
        : `the platform did not hand it over: ${got.reason}`);
    }
    const type = got.contentType.split(';')[0]!.trim().toLowerCase();
    const inline = ref.kind === 'image' && INLINE_IMAGE_TYPES.has(type);
    ctx.set('Cache-Control', `private, max-age=${MEDIA_CACHE_SECONDS}`);
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.set('Content-Security-Policy', "default-src 'none'; sandbox");
    ctx.set('Content-Disposition', inline ? 'inline' : `attachment; filename*=UTF-8''${encodeURIComponent(ref.name ?? `${ref.kind}-${id}-${index}`)}`);
    ctx.type = inline ? type : 'application/octet-stream';
    ctx.body = got.data;
  }));
  router.get('/desk/:shop/api/conversations/:id/quick-replies', route(async (ctx, shop) => {
    const c = await conversationOf(ctx, shop);
    ctx.body = { quickReplies: quickReplies(deps.playbooks.get(shop.id), shopAndCustomerVars(shop, c.customer)) };
  }));
  router.post('/desk/:shop/api/conversations/:id/reply', route(async (ctx, shop, staff) => {
    const text = await replyText(ctx);
    const conversation = await conversationOf(ctx, shop);
    const queued = await inCustomerLane(shop, conversation,
      (trx) => queueStaffReply(trx, { shop, playbook: deps.playbooks.get(shop.id), conversation, staff, text, at: at() }));
    deps.log.info({ shop: shop.id, conversation: conversation.key, staff, message: queued.messageId }, 'staff replied');
    deps.metrics.desk.inc({ shop: shop.id, action: 'reply' });
    deps.onQueued();
    ctx.status = 202;
    ctx.body = { status: 'queued', message: queued.messageId };
  }));
  router.post('/desk/:shop/api/conversations/:id/tags', route(async (ctx, shop, staff) => {
    const change = await tagChange(ctx);
    const c = await conversationOf(ctx, shop);
    const tags = await inCustomerLane(shop, c, (trx) => changeTags(trx, c.customer.id, change.add, change.remove));
    deps.log.info({ shop: shop.id, customer: c.customer.userId, staff, ...change }, 'staff changed customer tags');
    ctx.body = { tags };
  }));
  router.post('/desk/:shop/api/conversations/:id/take', route(async (ctx, shop, staff) => {
    const c = await conversationOf(ctx, shop);
    const until = at() + deps.playbooks.get(shop.id).settings.handoff.silenceMinutes * 60_000;
    await inCustomerLane(shop, c, (trx) => setHandoff(trx, c.id, until, at(), staff));
    deps.log.info({ shop: shop.id, conversation: c.key, staff }, 'staff took the conversation');
    deps.metrics.desk.inc({ shop: shop.id, action: 'take' });
    ctx.body = { conversation: await conversationOf(ctx, shop) };
  }));
  router.post('/desk/:shop/api/conversations/:id/release', route(async (ctx, shop, staff) => {
    const c = await conversationOf(ctx, shop);
    const released = await inCustomerLane(shop, c, (trx) => releaseToBot(trx, shop.id, c.key, staff, at()));
    deps.log.info({ shop: shop.id, conversation: c.key, staff }, 'staff gave the conversation back to the bot');
    deps.metrics.desk.inc({ shop: shop.id, action: 'release' });
    if (released?.endsKfSession) deps.onQueued();
    ctx.body = { conversation: await conversationOf(ctx, shop) };
  }));
}

/** `{"add":["老客户"],"remove":["黑名单"]}`: tags as staff see them (黑名单 stops 催付). */
async function tagChange(ctx: Context): Promise<{ add: string[]; remove: string[] }> {
  const body = await readJsonBody(ctx, '{"add":["VIP"],"remove":["黑名单"]}');
  const list = (field: 'add' | 'remove'): string[] => {
    const v = typeof body === 'object' && body !== null ? (body as Record<string, unknown>)[field] : undefined;
    if (v === undefined) return [];
    if (!Array.isArray(v) || v.some((t) => typeof t !== 'string' || !t.trim() || t.trim().length > CUSTOMER_LABEL_MAX)) {
      throw new RequestError(400, `${field}: a list of tags, each 1–${CUSTOMER_LABEL_MAX} characters`);
    }
    return (v as string[]).map((t) => t.trim());
  };
  const change = { add: list('add'), remove: list('remove') };
  if (change.add.length + change.remove.length === 0) throw new RequestError(400, 'name tags to add or remove');
  return change;
}

async function replyText(ctx: Context): Promise<string> {
  const body = await readJsonBody(ctx, '{"text":"…"}');
  const text = typeof body === 'object' && body !== null ? (body as { text?: unknown }).text : undefined;
  if (typeof text !== 'string' || !text.trim()) throw new RequestError(400, 'text: write the reply (a non-empty string)');
  if (Buffer.byteLength(text.trim()) > STAFF_MAX_TEXT_BYTES) {
    throw new RequestError(400, `text: at most ${STAFF_MAX_TEXT_BYTES} bytes (about ${Math.floor(STAFF_MAX_TEXT_BYTES / 3)} Chinese characters); split it into two replies`);
  }
  return text.trim();
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
