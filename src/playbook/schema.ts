import { z } from 'zod';
import { closestName } from '../config/fields.js';
import { HHMM } from '../engine/time.js';

/**
 * The playbook file format staff write. Strict everywhere: a typo'd field is an error with
 * its line and column, never silently ignored. playbooks/README.md is the guide.
 */
const nonEmpty = z.string().trim().min(1);
const nameList = z.array(nonEmpty).min(1);
/** Phrases staff type may look like numbers (12315, 520): take them as the text they are. */
const phrase = z.union([nonEmpty, z.number().transform(String)]);
const phraseList = z.array(phrase).min(1);
const oneOrMany = <T extends z.ZodTypeAny>(t: T) => z.union([t, z.array(t).min(1)]);
/** A duration as staff write it: 30m, 2h, 1d (playbooks, fixtures, CLI flags). */
export const DURATION = /^\d+\s*(m|h|d)$/;
const durationSchema = z.string().regex(DURATION, 'use a duration like 30m, 2h or 1d');

export const BARGAINER_TYPES = ['promise', 'comparison', 'assertive', 'merit', 'sympathy', 'excuse'] as const;
export const ORDER_EVENTS = [
  'order.created', 'order.paid', 'order.shipped', 'order.arrived', 'order.signed', 'order.reviewed', 'order.refunded', 'order.closed',
  'order.exception', 'order.refund_requested',
] as const;
/**
 * Logistics exceptions the order system may report (domain.md §11): no tracking update
 * (物流停滞), problem parcel (疑难件), outside the delivery area (超区), signed for by someone
 * else (代签收), refused by the customer (拒收). They annotate an order; its state stays.
 */
export const EXCEPTION_KINDS = ['stalled', 'problem', 'out_of_area', 'signed_by_other', 'refused'] as const;
export const ORDER_STATES = ['created', 'paid', 'shipped', 'arrived', 'signed', 'reviewed', 'refunded', 'closed'] as const;
export const EVENTS = ['message', 'first_message', 'session_start', ...ORDER_EVENTS, 'schedule'] as const;
export const CHANNEL_NAMES = ['feishu', 'wecom', 'wecomKf', 'dingtalk', 'local'] as const;

export const whenSchema = z.strictObject({
  /** message (default): every customer message; first_message: only the first of a conversation;
   *  session_start: the customer opened the chat window (微信客服 enter_session), before writing anything;
   *  order.created … order.closed, order.exception, order.refund_requested: the shop's order system reported it; schedule: a follow-up came due. */
  event: z.enum(EVENTS).default('message'),
  /** The recognised intent of the message (see `intents:`). */
  intent: oneOrMany(nonEmpty).optional(),
  /** For intent bargain: the kind of bargainer recognised (domain.md §3). */
  bargainer: oneOrMany(z.enum(BARGAINER_TYPES)).optional(),
  /** Any of these words or phrases appearing in the message (case-insensitive; synonyms apply). */
  keywords: phraseList.optional(),
  /** Any of these regular expressions matching (case-insensitive, unicode). */
  regex: nameList.optional(),
  /** false = first-time customer (first seen today); true = seen on an earlier day. */
  returning: z.boolean().optional(),
  /** Inside (open) or outside (closed) the shop's businessHours, in the shop's time zone. */
  hours: z.enum(['open', 'closed']).optional(),
  /** Message kinds: text, image, file, other. Default: any. */
  kind: z.array(z.enum(['text', 'image', 'file', 'other'])).min(1).optional(),
  channel: oneOrMany(z.enum(CHANNEL_NAMES)).optional(),
  /** How the customer writes this message (domain.md §7): lively (emoji, 哈哈, ～), formal (您, 请问), plain. */
  style: oneOrMany(z.enum(['lively', 'formal', 'plain'])).optional(),
  /** Customer tags: every one listed must be present. */
  tags: nameList.optional(),
  /** Customer tags: none of these may be present. */
  notTags: nameList.optional(),
  /** Membership tier (shop-chosen names, e.g. vip). */
  tier: oneOrMany(nonEmpty).optional(),
  /**
   * How many paid orders the customer has (within: placed that recently), this one included on an
   * order event: frequent repeat buyers (复购率高的老客户, domain.md §7), a first purchase (atMost: 1).
   */
  purchases: z.strictObject({
    atLeast: z.number().int().min(0).optional(), atMost: z.number().int().min(0).optional(), within: durationSchema.optional(),
  }).refine((p) => p.atLeast !== undefined || p.atMost !== undefined, 'give atLeast and/or atMost').optional(),
  /** Conversation slots: a value must equal it; ~ (null) means "not set". */
  slots: z.record(nonEmpty, z.union([z.string(), z.number(), z.null()])).optional(),
  /**
   * The bot's last answer asked the customer for this (an `expect` action) and this message is
   * the customer's next one: a rule for the answer (an order number, a new address) after a question.
   */
  expecting: oneOrMany(nonEmpty).optional(),
  /**
   * How many times a rule (default: this one; several: their firings added up) already fired in
   * this conversation; with `within`, only rules that last fired that recently count (once each).
   */
  fired: z.strictObject({
    rule: oneOrMany(nonEmpty).optional(), lessThan: z.number().int().min(1).optional(), atLeast: z.number().int().min(0).optional(),
    within: durationSchema.optional(),
  }).optional(),
  /** Whether the shop has a gift this customer can be offered (see gifts in xiaoer.yml). */
  giftAvailable: z.boolean().optional(),
  /** The order's current state (order events and follow-ups). */
  orderState: oneOrMany(z.enum(ORDER_STATES)).optional(),
  /**
   * Words of an item title in the order (any item): care by product (how to use 洗衣凝珠 on
   * sign-for, domain.md §5) or reminders only for some goods (§11).
   */
  items: phraseList.optional(),
  /** The order's amount: reminders only within an amount range (domain.md §11). */
  orderTotal: z.strictObject({ atLeast: z.number().min(0).optional(), atMost: z.number().min(0).optional() })
    .refine((t) => t.atLeast !== undefined || t.atMost !== undefined, 'give atLeast and/or atMost').optional(),
  /** The review's star rating (order.reviewed). */
  rating: z.strictObject({ atLeast: z.number().int().min(1).max(5).optional(), atMost: z.number().int().min(1).max(5).optional() }).optional(),
  /** Whether the 15-day review window (from sign-for) is still open (domain.md §5). */
  reviewWindow: z.enum(['open', 'closed']).optional(),
  /** The logistics exception reported for the order (order.exception): stalled, problem, out_of_area, signed_by_other, refused. */
  exception: oneOrMany(z.enum(EXCEPTION_KINDS)).optional(),
  /**
   * The customer writes while waiting for a person: the conversation was handed over and nobody
   * has taken or answered it yet. Only such rules run then — the bot is silent otherwise — and
   * never once a person has the chat in hand (找不到真人 is what customers complain about most,
   * domain.md §11: a word that they were heard, not a second bot conversation).
   */
  waiting: z.literal(true).optional(),
  /** Whether the customer paid another order after this one was placed (two orders, one paid: chase neither, domain.md §4). */
  paidElsewhere: z.boolean().optional(),
  /**
   * Whether the customer paid a later order with one of this order's products (the same listed
   * product, else the same title): no repurchase reminder for what they already bought again (§9).
   */
  boughtAgain: z.boolean().optional(),
});


export const actionShapes = {
  reply: nonEmpty,
  set: z.record(nonEmpty, z.union([z.string(), z.number()])),
  clear: nameList,
  /** The reply asks the customer for something: rules with `expecting: <it>` may take their next message. */
  expect: nonEmpty,
  tag: nameList,
  untag: nameList,
  handoff: z.union([z.literal(true), z.strictObject({ reason: nonEmpty })]),
  release: z.literal(true),
  alert: nonEmpty,
  offerGift: z.literal(true),
  /** Say nothing: the message needs no answer (好的, 嗯嗯, a sticker), and it is no miss either. */
  silent: z.literal(true),
  /**
   * Run another rule later: `after: 30m`, or `at: "10:00"` (the next one; `days: 1` = tomorrow);
   * `beforeClose: 5m` — no later than that before the order closes unpaid (alone: exactly then;
   * not planned when the order system gave no closesAt or the time has passed);
   * `beforeUsedUp: 3d` — that long before the order's first product runs out (xiaoer.yml
   * `products:` cycles × quantity, counted from now), `after` then only for orders with none listed.
   */
  schedule: z.strictObject({
    rule: nonEmpty,
    after: durationSchema.optional(),
    at: z.string().regex(HHMM, 'use 24-hour HH:MM').optional(),
    days: z.number().int().min(0).max(365).optional(),
    beforeClose: durationSchema.optional(),
    beforeUsedUp: durationSchema.optional(),
  }).refine((s) => !(s.after !== undefined && s.at !== undefined) && (s.after ?? s.at ?? s.beforeClose ?? s.beforeUsedUp) !== undefined,
    'give after or at (not both), and/or beforeClose')
    .refine((s) => s.beforeUsedUp === undefined || (s.at === undefined && s.beforeClose === undefined),
      'beforeUsedUp goes alone or with after (the time for orders with no listed product), not with at or beforeClose'),
  /** Cancel this order's pending follow-ups of these rules, or every marketing follow-up with [marketing]. */
  cancel: nameList,
  /** The customer asked to stop (退订) / resume (订阅) proactive messages. */
  optOut: z.literal(true),
  optIn: z.literal(true),
} as const;
export const ACTION_NAMES = Object.keys(actionShapes) as (keyof typeof actionShapes)[];

export type ActionSpec = { [K in keyof typeof actionShapes]: { [P in K]: z.infer<(typeof actionShapes)[K]> } }[keyof typeof actionShapes];

/**
 * An action is a one-key map (`- reply: greet`). Checked by hand rather than as a zod union so
 * a typo gets "unknown field "replly"; allowed actions: …" at the key, not "invalid input".
 */
export const actionSchema = z.unknown().transform((value, ctx): ActionSpec => {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    ctx.addIssue({ code: 'custom', message: `an action is one of: ${ACTION_NAMES.join(', ')} (e.g. "- reply: greet-new")` });
    return z.NEVER;
  }
  const keys = Object.keys(value);
  const unknown = keys.filter((k) => !(ACTION_NAMES as string[]).includes(k));
  for (const k of unknown) {
    const meant = closestName(k, ACTION_NAMES);
    ctx.addIssue({ code: 'custom', path: [k], params: { at: 'key' }, message: `unknown field "${k}"${meant ? `; did you mean "${meant}"?` : ''}; allowed actions: ${ACTION_NAMES.join(', ')}` });
  }
  if (unknown.length) return z.NEVER;
  if (keys.length !== 1) {
    ctx.addIssue({ code: 'custom', message: `one action per list item (found ${keys.join(', ')}); write each as its own "- …" line` });
    return z.NEVER;
  }
  const key = keys[0] as keyof typeof actionShapes;
  const parsed = actionShapes[key].safeParse((value as Record<string, unknown>)[key]);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) ctx.addIssue({ code: 'custom', path: [key, ...issue.path as (string | number)[]], message: issue.message });
    return z.NEVER;
  }
  return { [key]: parsed.data } as ActionSpec;
});

export const ruleSchema = z.strictObject({
  name: nonEmpty,
  /** false switches a rule off without deleting it (e.g. repurchase reminders until staff want them). */
  enabled: z.boolean().default(true),
  /** marketing messages stop when a customer opts out (退订); care (shipping, sign-for) is configurable. */
  category: z.enum(['care', 'marketing']).default('care'),
  /** A follow-up of this rule that is due longer ago than this is dropped, never sent late. */
  staleAfter: durationSchema.optional(),
  /** Higher runs first; equal priorities keep file order. Default 0. */
  priority: z.number().int().min(-1000).max(1000).default(0),
  when: whenSchema.default({ event: 'message' }),
  /** At most `times` firings per conversation, or per conversation per day. */
  limit: z.strictObject({ times: z.number().int().min(1), per: z.enum(['conversation', 'day']) }).optional(),
  /** After firing, the rule does not fire again in the same conversation for this long (请稍等 at most every 10m). */
  cooldown: durationSchema.optional(),
  /** Keep looking for more rules after this one fires (e.g. an out-of-hours notice before the answer). */
  continue: z.boolean().default(false),
  then: z.array(actionSchema).min(1),
});

export const intentSchema = z.strictObject({
  /** Phrases that mean this intent. Synonyms apply. */
  phrases: phraseList,
  /** Higher wins when a message carries several intents. Default 0. */
  priority: z.number().int().min(-1000).max(1000).default(0),
  /** A phrase right after 不/别/没/不用/不要 does not count ("不用转人工" is not a handoff request). */
  negatable: z.boolean().default(false),
  /**
   * Answered only as what a message is mainly about, never as its second question: a farewell
   * (好的谢谢，那什么时候发货) or a greeting must not get its own reply beside the real answer.
   */
  alone: z.boolean().default(false),
  /**
   * The customer says the bot's last answer missed (答非所问, 不是这个意思). Its rule answers (an
   * apology, a way to a person), and it counts as a miss all the same: the second failure in a
   * row hands over (settings.handoff.afterMisses, domain.md §11) instead of apologising again.
   * The message before it is listed at the desk's 待核对: what the bot read wrong.
   */
  miss: z.boolean().default(false),
  /** Sub-types with their own cue phrases (bargain → the six bargainer types). */
  types: z.record(nonEmpty, phraseList).optional(),
  /**
   * The intent as a customer would ask it (什么时候发货？), offered in the fallback's "您是想问…"
   * list when a message the bot did not understand resembles it. Intents without one are never offered.
   */
  ask: nonEmpty.optional(),
});

export const settingsSchema = z.strictObject({
  handoff: z.strictObject({
    /** After this many messages in a row that no rule understood, the conversation goes to a person. */
    afterMisses: z.number().int().min(1).max(10).default(2),
    /** Minutes of business hours the bot stays silent after a handoff (a night does not count) unless staff release it earlier. */
    silenceMinutes: z.number().int().min(1).max(7 * 24 * 60).default(120),
    /**
     * Staff are alerted again when a handed-over customer has had no reply from the desk this
     * long (找不到真人 is the complaint customers make most, domain.md §11); 0 never reminds.
     */
    remindStaffAfterMinutes: z.number().int().min(0).max(24 * 60).default(5),
  }).default({ afterMisses: 2, silenceMinutes: 120, remindStaffAfterMinutes: 5 }),
  /** Phrases no response may contain, added to the built-in list (domain.md §6). */
  forbiddenPhrases: z.array(nonEmpty).default([]),
  /**
   * Words kept whole when a message is cut into words — the shop's product names that contain
   * a phrase (人工草坪 contains 人工): no phrase matches inside them.
   */
  words: z.array(nonEmpty).default([]),
});

export const responseSchema = z.array(nonEmpty).min(1, 'a response needs at least one variation');

/**
 * Below this the resemblance is chance (a shared 的 or 吗). Set on the labelled messages: at 0.2
 * the right intent is among the three offered for most missed messages (npm run eval prints it).
 */
export const DEFAULT_SUGGEST_MIN_SCORE = 0.2;

export const playbookFileSchema = z.strictObject({
  settings: settingsSchema.optional(),
  intents: z.record(nonEmpty, intentSchema).default({}),
  /** word → other words that mean the same; keywords and phrases match all of them. */
  synonyms: z.record(nonEmpty, phraseList).default({}),
  rules: z.array(ruleSchema).default([]),
  responses: z.record(nonEmpty, responseSchema).default({}),
  /** Whole customer messages per intent: what a message no phrase recognises is compared with to guess what it meant. */
  examples: z.record(nonEmpty, z.array(nonEmpty).min(1)).default({}),
  /** What to answer when no rule fires. At most one file of a shop may set it. */
  fallback: z.strictObject({
    reply: nonEmpty,
    /**
     * When the message resembles intents that have an `ask`: this response instead, its
     * {{suggestions}} the numbered questions (at most `max`); the customer's next message may be
     * the number. Still a miss: two in a row hand off as before. `minScore` (0–1, default 0.2): how
     * alike a message must be to be offered anything — raise it if chit-chat gets lists too often.
     * `answerAbove` (0–1, unset: never): a message this alike to one offerable intent, and clearly
     * more than to any other, is answered as that intent instead of offered it — never one whose
     * rules hand over, stop or resume messages or alert staff (src/engine/suggest.ts).
     */
    suggest: z.strictObject({
      reply: nonEmpty, max: z.number().int().min(1).max(5).default(3), minScore: z.number().min(0.05).max(1).default(DEFAULT_SUGGEST_MIN_SCORE),
      answerAbove: z.number().min(0.3).max(1).optional(),
    }).optional(),
  }).optional(),
});

export type PlaybookFile = z.infer<typeof playbookFileSchema>;
export type RuleSpec = z.infer<typeof ruleSchema>;
export type WhenSpec = z.infer<typeof whenSchema>;
export type Settings = z.infer<typeof settingsSchema>;
