import { z } from 'zod';
import type { Problem } from '../errors.js';
import { feishuConfigSchema } from '../../adapters/feishu/config.js';
import { localConfigSchema } from '../../adapters/local/config.js';
import { wecomConfigSchema, wecomKfConfigSchema } from '../../adapters/wecom/config.js';
import { dingtalkConfigSchema } from '../../adapters/dingtalk/config.js';
import { HHMM } from '../engine/time.js';
import { DURATION } from '../playbook/schema.js';


function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

export const channelsSchema = z.strictObject({
  feishu: feishuConfigSchema.optional(),
  wecom: wecomConfigSchema.optional(),
  wecomKf: wecomKfConfigSchema.optional(),
  dingtalk: dingtalkConfigSchema.optional(),
  local: localConfigSchema.optional(),
}).refine((c) => !c.wecomKf || c.wecom, { message: 'wecomKf needs channels.wecom (the same corp credentials and callback URL)', path: ['wecomKf'] });

/** Where staff hear about handoffs, dead letters and bad reviews. */
/** Weekday names as the config writes them, in JavaScript's getDay() order (Sunday first). */
export const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;

export const alertsSchema = z.strictObject({
  /** WeCom group robot: the key=… part of its webhook URL (群 → 添加群机器人). */
  wecomRobotKey: z.string().min(1).optional(),
  /** Feishu custom bot (群设置 → 群机器人 → 自定义机器人): its webhook URL, and the signing secret if 签名校验 is on. */
  feishuBot: z.strictObject({ url: z.url(), secret: z.string().min(1).optional() }).optional(),
  /** The past week's figures in the staff group, every week on this shop-local weekday and time (domain.md §10). */
  weeklyReport: z.strictObject({
    day: z.enum(WEEKDAYS),
    at: z.string().regex(HHMM, 'use 24-hour HH:MM, e.g. "09:00"'),
  }).optional(),
});

/** xiaoer.yml's products: (and a playbook fixture's): how long one of each lasts. */
export const productsSchema = z.array(z.strictObject({
  match: z.union([z.string().trim().min(1), z.array(z.string().trim().min(1)).min(1)]).transform((m) => (Array.isArray(m) ? m : [m])),
  lasts: z.string().regex(DURATION, 'use a duration like 30d or 12h'),
}));

export const shopSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9-]+$/, 'shop id may contain only a-z, 0-9 and "-" (it is used in URLs)').max(64),
  name: z.string().min(1),
  timezone: z.string().refine(isTimeZone, 'not an IANA time zone name (e.g. Asia/Shanghai)').default('Asia/Shanghai'),
  businessHours: z
    .strictObject({
      from: z.string().regex(HHMM, 'use 24-hour HH:MM, e.g. "09:00"'),
      to: z.string().regex(HHMM, 'use 24-hour HH:MM, e.g. "23:00"'),
    })
    .default({ from: '09:00', to: '23:00' }),
  playbooks: z.string().min(1).default('./playbooks'),
  /**
   * Gifts the bot may offer instead of a discount (domain.md §3: only above an order amount).
   * The bot never offers a discount: there is no action for it.
   */
  gifts: z.array(z.strictObject({ name: z.string().min(1), minOrder: z.number().min(0) })).default([]),
  /**
   * How long one of each product lasts its buyer (domain.md §9 repurchase cycle): a follow-up
   * `schedule: { beforeUsedUp: 3d }` comes due that long before the order's first listed product
   * runs out (lasts × quantity). `match`: words of the item title; the first entry matching wins.
   * `xiaoer products` learns the cycles from the order history.
   */
  products: productsSchema.default([]),
  channels: channelsSchema.refine((c) => Object.keys(c).length > 0, 'a shop needs at least one channel'),
  alerts: alertsSchema.default({}),
  /**
   * The staff desk at /desk/<shop> (人工接待台): staff sign in with their own name and this
   * password, see the conversations handed to a person and reply to customers through the bot.
   */
  desk: z.strictObject({
    password: z.string().min(12, 'use at least 12 characters: the desk can write to every customer of the shop'),
  }).optional(),
  /** Signs POST /events/orders/<shop> (X-Xiaoer-Signature: sha256=HMAC(secret, timestamp + "." + body)). */
  orderWebhookSecret: z.string().min(16, 'use at least 16 random characters').optional(),
  /** Never spam (domain.md §4, §11): quiet hours, caps and what an opt-out stops. */
  respect: z.strictObject({
    quietHours: z.strictObject({ from: z.string().regex(HHMM, 'use 24-hour HH:MM'), to: z.string().regex(HHMM, 'use 24-hour HH:MM') })
      .default({ from: '22:00', to: '08:00' }),
    maxProactivePerDay: z.number().int().min(0).max(50).default(3),
    maxProactivePerOrder: z.number().int().min(0).max(50).default(6),
    /** Whether 退订 also stops care messages (shipped, sign-for). Marketing always stops. */
    optOutStopsCare: z.boolean().default(false),
  }).default({ quietHours: { from: '22:00', to: '08:00' }, maxProactivePerDay: 3, maxProactivePerOrder: 6, optOutStopsCare: false }),
});

export const outboxSchema = z
  .strictObject({
    /** Tries before a message is dead-lettered. 8 tries with the default backoff span ~10 minutes. */
    maxAttempts: z.number().int().min(1).max(50).default(8),
  })
  .default({ maxAttempts: 8 });

/**
 * The shortest retention allowed: reports look back weeks (`xiaoer report --days 30`), and
 * reviews come up to 15 days after the trade, so a shop always has its last month of chats.
 */
export const RETENTION_MIN_DAYS = 30;

/** How long chats are kept (个人信息保护法: no longer than needed); absent: kept until deleted. */
export const retentionSchema = z.strictObject({
  days: z.number().int().min(RETENTION_MIN_DAYS, `keep at least ${RETENTION_MIN_DAYS} days: reports and review follow-ups look back that far`).max(3650),
}).optional();

export const configSchema = z
  .strictObject({
    shops: z.array(shopSchema).min(1, 'at least one shop is needed'),
    outbox: outboxSchema,
    retention: retentionSchema,
  })
  .superRefine((cfg, ctx) => {
    const seen = new Set<string>();
    cfg.shops.forEach((s, i) => {
      if (seen.has(s.id)) ctx.addIssue({ code: 'custom', path: ['shops', i, 'id'], message: `duplicate shop id "${s.id}"` });
      seen.add(s.id);
    });
  });

export type ShopConfig = z.infer<typeof shopSchema> & { /** absolute directory */ playbooksDir: string };
export type ChannelsConfig = z.infer<typeof channelsSchema>;
export interface AppConfig {
  readonly file: string;
  readonly shops: readonly ShopConfig[];
  readonly outbox: { readonly maxAttempts: number };
  /** Chats, alerts and finished follow-ups older than `days` are deleted; null keeps them. */
  readonly retention: { readonly days: number } | null;
  /** Valid but worth changing (src/config/warnings.ts); xiaoer check prints them, serve logs them. */
  readonly warnings: readonly Problem[];
}
