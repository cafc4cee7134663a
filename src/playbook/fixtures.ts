import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { z } from 'zod';
import { productsSchema } from '../config/schema.js';
import { locate, readYaml, zodProblems } from '../config/yaml.js';
import { allFieldNames } from '../config/fields.js';
import { emptyState } from '../db/conversations.js';
import { PAID_STATES } from '../db/purchases.js';
import type { Problem } from '../errors.js';
import { withTags } from '../engine/actions.js';
import { decide, FALLBACK_RULE } from '../engine/decide.js';
import type { DecideInput, Decision, OrderView } from '../engine/decide.js';
import { HHMM, hhmmToMinutes } from '../engine/time.js';
import { ORDER_IN_VIEW_MS, orderNumbersIn } from '../orders/in-view.js';
import { durationMs } from './compiled.js';
import type { CompiledPlaybook } from './compiled.js';
import { DURATION, EXCEPTION_KINDS, ORDER_EVENTS } from './schema.js';

/**
 * Conversation fixtures (`*.test.yml` next to the playbooks): staff write what a customer says
 * and what the bot should answer, and `xiaoer test` / `npm test` play it through the engine.
 */
const HHMM_STRING = z.string().regex(HHMM, 'use 24-hour HH:MM');
const stepSchema = z.union([
  z.strictObject({ user: z.union([z.string().min(1), z.number().transform(String)]) }),
  z.strictObject({ image: z.literal(true) }),
  /** The customer opens the chat window (微信客服 enter_session) without writing. */
  z.strictObject({ open: z.literal(true) }),
  z.strictObject({ bot: z.string().min(1), rule: z.string().min(1).optional() }),
  z.strictObject({ silent: z.literal(true) }),
  /** How many replies the last customer turn got. */
  z.strictObject({ replies: z.number().int().min(0) }),
  /** The shop's order system reports an event for the fixture's order. */
  z.strictObject({
    order: z.enum(ORDER_EVENTS), rating: z.number().int().min(1).max(5).optional(), review: z.string().optional(),
    /** order.exception: the kind reported, and the courier's note. */
    exception: z.enum(EXCEPTION_KINDS).optional(), note: z.string().optional(),
    /** order.refund_requested: the reason the customer gave. */
    reason: z.string().optional(),
  }),
  /** A scheduled follow-up comes due (after moving the clock by `after`). */
  z.strictObject({
    due: z.string().min(1), after: z.string().regex(DURATION).optional(),
    /** The customer paid another order meanwhile (duplicate orders). */
    paidElsewhere: z.boolean().optional(),
    /** The customer bought one of the order's products again meanwhile (a later paid order). */
    boughtAgain: z.boolean().optional(),
  }),
  /** The last step scheduled this follow-up (`in: 25m`: due that long after the step) / cancelled these. */
  z.strictObject({ scheduled: z.string().min(1), in: z.string().regex(DURATION).optional() }),
  z.strictObject({ cancelled: z.string().min(1) }),
  /** The clock moves on this long before the next step (each customer message already moves it a minute). */
  z.strictObject({ wait: z.string().regex(DURATION, 'use a duration like 30m, 2h or 1d') }),
  /** A person answers at the staff desk (the bot then stays quiet, as after any desk reply). */
  z.strictObject({ staff: z.string().min(1) }),
  /** The last step handed the conversation to a person (`false`: the bot kept it). */
  z.strictObject({ handoff: z.boolean() }),
  /** The last step alerted staff with a text like this (a rule's `alert:`); `false`: no alert. */
  z.strictObject({ alert: z.union([z.string().min(1), z.literal(false)]) }),
]);
const fixtureSchema = z.strictObject({
  name: z.string().min(1),
  /** Shop-local time of day, default 10:00 (inside default business hours). */
  time: HHMM_STRING.default('10:00'),
  customer: z.strictObject({
    returning: z.boolean().default(false),
    name: z.string().min(1).optional(),
    tier: z.string().min(1).optional(),
    tags: z.array(z.string().min(1)).default([]),
    /** Paid orders before this conversation (a week apart, the latest a week before it); the fixture's order counts once paid. */
    purchases: z.number().int().min(0).default(0),
  }).default({ returning: false, tags: [], purchases: 0 }),
  gifts: z.array(z.strictObject({ name: z.string().min(1), minOrder: z.number().min(0) })).optional(),
  /** How long each product lasts (as xiaoer.yml's products:), for beforeUsedUp follow-ups; default the shop's. */
  products: productsSchema.optional(),
  order: z.strictObject({
    id: z.string().default('T1001'), total: z.number().default(199),
    items: z.array(z.strictObject({ title: z.string(), qty: z.number().int().min(1), price: z.number() })).default([{ title: '纯棉T恤', qty: 1, price: 199 }]),
    courier: z.string().optional(), trackingNo: z.string().optional(),
    /** The order closes unpaid this long after the fixture starts (closesAt for beforeClose follow-ups). */
    closesIn: z.string().regex(DURATION).optional(),
  }).optional(),
  conversation: z.array(stepSchema).min(1),
});
const fileSchema = z.array(fixtureSchema);

export type FixtureShop = DecideInput['shop'];

export interface FixtureResult {
  file: string;
  name: string;
  line: number;
  ok: boolean;
  failure?: string;
}

export interface FixtureRun {
  results: FixtureResult[];
  problems: Problem[];
  fired: Set<string>;
}

export function fixtureFiles(dir: string): string[] {
  return readdirSync(dir).filter((f) => /\.test\.ya?ml$/.test(f)).sort().map((f) => join(dir, f));
}

/** A fixed day, so fixtures do not depend on when they run; only the time of day is staff's to set. */
const FIXTURE_DAY_UTC = Date.UTC(2026, 5, 15);
/** Order states that make the fixture's order a purchase, as the service counts them. */
const PAID: ReadonlySet<string> = new Set(PAID_STATES);
const DAY_MS = 86_400_000;

export function runFixtures(dir: string, playbook: CompiledPlaybook, shop: FixtureShop, displayBase = process.cwd()): FixtureRun {
  const run: FixtureRun = { results: [], problems: [], fired: new Set() };
  for (const file of fixtureFiles(dir)) {
    const shown = relative(displayBase, file) || file;
    const { yaml, problems } = readYaml(shown, readFileSync(file, 'utf8'), allFieldNames(fileSchema));
    run.problems.push(...problems);
    if (problems.some((p) => p.severity === 'error')) continue;
    const parsed = fileSchema.safeParse(yaml.doc.toJS() ?? []);
    if (!parsed.success) {
      run.problems.push(...zodProblems(yaml, parsed.error, [], fileSchema));
      continue;
    }
    parsed.data.forEach((fx, i) => {
      const at = locate(yaml, [i, 'name']);
      const failure = playOne(fx, playbook, shop, run.fired, (j) => `${shown}:${locate(yaml, [i, 'conversation', j]).line}`);
      run.results.push({ file: shown, name: fx.name, line: at.line, ok: failure === null, ...(failure ? { failure } : {}) });
    });
  }
  return run;
}

function playOne(
  fx: z.infer<typeof fixtureSchema>, playbook: CompiledPlaybook, shop: FixtureShop, fired: Set<string>, where: (step: number) => string,
): string | null {
  const offset = localOffsetMs(shop.timezone);
  const now = new Date(FIXTURE_DAY_UTC + hhmmToMinutes(fx.time) * 60_000 - offset);
  const firstSeenAt = fx.customer.returning ? now.getTime() - 3 * DAY_MS : now.getTime();
  const shopWithGifts = { ...shop, ...(fx.gifts ? { gifts: fx.gifts } : {}), ...(fx.products ? { products: fx.products } : {}) };
  let state = emptyState();
  let tags = [...fx.customer.tags];
  let last: Decision | null = null;
  let pending: Decision['replies'] = [];
  let turns = 0;
  let clockOffset = 0;
  const base = fx.order ?? { id: 'T1001', total: 199, items: [{ title: '纯棉T恤', qty: 1, price: 199 }] };
  const order: OrderView = {
    id: base.id, state: 'created', total: base.total, items: base.items, courier: base.courier, trackingNo: base.trackingNo, signedAt: null,
    ...('closesIn' in base && base.closesIn ? { closesAt: now.getTime() + durationMs(base.closesIn) } : {}),
  };
  // The customer's messages read the order once the order system has reported it, for 30 days
  // after its last event unless they name it (as orderInView does in the service).
  let orderChangedAt: number | null = null;
  const orderInView = (text: string | null): boolean => {
    if (orderChangedAt === null) return false;
    const named = orderNumbersIn(text);
    return named.length > 0 ? named.includes(order.id) : at().getTime() - orderChangedAt <= ORDER_IN_VIEW_MS;
  };
  const at = () => new Date(now.getTime() + turns * 60_000 + clockOffset);
  let decidedAt = 0;
  const record = (d: Decision): Decision => {
    decidedAt = at().getTime(); // the time the decision was made with, before the turn moves the clock
    turns += 1;
    state = d.state;
    tags = withTags(tags, d.tags);
    for (const r of d.fired) fired.add(r);
    pending = [...d.replies];
    return d;
  };
  const earlier = Array.from({ length: fx.customer.purchases }, (_, k) => now.getTime() - (k + 1) * 7 * DAY_MS);
  let paidAt: number | null = null;
  const customer = () => ({
    name: fx.customer.name ?? null, firstSeenAt, tags, tier: fx.customer.tier ?? null,
    purchasedAt: paidAt === null ? earlier : [...earlier, paidAt],
  });
  for (const [j, step] of fx.conversation.entries()) {
    if ('order' in step || 'due' in step) {
      if ('order' in step) orderChangedAt = at().getTime();
      if ('order' in step && step.order === 'order.exception') {
        if (!step.exception) return `${where(j)}: an order.exception step needs exception: (${EXCEPTION_KINDS.join(', ')})`;
        order.exception = { kind: step.exception, ...(step.note ? { note: step.note } : {}) };
      } else if ('order' in step && step.order === 'order.refund_requested') {
        order.refundReason = step.reason ?? null; // a request leaves the order's state (src/orders/event.ts)
      } else if ('order' in step) {
        order.state = step.order.slice('order.'.length);
        if (paidAt === null && PAID.has(order.state)) paidAt = at().getTime();
        if (!PAID.has(order.state)) paidAt = null; // refunded or closed: no purchase
        if (step.order === 'order.signed') order.signedAt = at().getTime();
        if (step.rating) order.review = { rating: step.rating, ...(step.review ? { text: step.review } : {}) };
      } else if (step.after) clockOffset += durationMs(step.after);
      last = record(decide({
        shop: shopWithGifts, playbook, order: { ...order },
        message: {
          text: 'order' in step && step.order === 'order.reviewed' ? order.review?.text ?? null : null,
          kind: 'event', channel: 'local', event: 'order' in step ? step.order : 'schedule',
        },
        ...('due' in step ? { scheduledRule: step.due } : {}),
        ...('due' in step && (step.paidElsewhere || step.boughtAgain)
          ? { order: { ...order, paidElsewhere: step.paidElsewhere ?? false, boughtAgain: step.boughtAgain ?? false } } : {}),
        customer: customer(), conversation: { isNew: false }, state, now: at(), random: () => 0,
      }));
      continue;
    }
    if ('user' in step || 'image' in step || 'open' in step) {
      last = record(decide({
        shop: shopWithGifts, playbook, ...(orderInView('user' in step ? step.user : null) ? { order: { ...order } } : {}),
        message: 'user' in step ? { text: step.user, kind: 'text', channel: 'local' }
          : 'image' in step ? { text: null, kind: 'image', channel: 'local' }
          : { text: null, kind: 'event', channel: 'local', event: 'session_start' },
        customer: customer(), conversation: { isNew: turns === 0 }, state, now: at(), random: () => 0,
      }));
      continue;
    }
    if ('wait' in step) {
      clockOffset += durationMs(step.wait);
      continue;
    }
    if ('staff' in step) {
      // As the desk's reply does (src/engine/staff.ts): the person has the conversation, the bot is quiet.
      state = { ...state, handoffBy: 'staff', handoffUntil: at().getTime() + playbook.settings.handoff.silenceMinutes * 60_000 };
      continue;
    }
    if (!last) return `${where(j)}: a "${Object.keys(step)[0]}" step needs a "user" step before it`;
    if ('silent' in step) {
      if (last.replies.length) return `${where(j)}: expected no reply, got "${last.replies[0]!.text}" (rule ${last.replies[0]!.rule})`;
    } else if ('scheduled' in step) {
      const planned = last.schedules.find((x) => x.rule === step.scheduled);
      if (!planned) return `${where(j)}: expected a follow-up ${step.scheduled}; scheduled: ${last.schedules.map((x) => x.rule).join(', ') || '(none)'}`;
      if (step.in !== undefined && planned.dueAt - decidedAt !== durationMs(step.in)) {
        return `${where(j)}: expected ${step.scheduled} due in ${step.in}, it is due in ${Math.round((planned.dueAt - decidedAt) / 60_000)}m`;
      }
    } else if ('cancelled' in step) {
      const c = last.cancels;
      if (!(c.rules.includes(step.cancelled) || (step.cancelled === 'marketing' && c.marketing))) return `${where(j)}: expected ${step.cancelled} to be cancelled`;
    } else if ('replies' in step) {
      if (last.replies.length !== step.replies) return `${where(j)}: expected ${step.replies} replies, got ${last.replies.length}: ${last.replies.map((r) => r.rule).join(', ')}`;
    } else if ('handoff' in step) {
      if (step.handoff && !last.handoff) return `${where(j)}: expected a handoff to a person; rules fired: ${last.fired.join(', ') || '(none)'}`;
      if (!step.handoff && last.handoff) return `${where(j)}: expected the bot to keep the conversation, rule ${last.handoff.rule} handed it to a person`;
    } else if ('alert' in step) {
      const texts = last.alerts.map((a) => a.text);
      if (step.alert === false && texts.length) return `${where(j)}: expected no staff alert, got "${texts[0]}"`;
      if (step.alert !== false && !texts.some((t) => textMatches(step.alert as string, t))) {
        return `${where(j)}: expected a staff alert ${step.alert}; alerts: ${texts.map((t) => `"${t}"`).join(', ') || '(none)'}`;
      }
    } else {
      const reply = pending.shift();
      const shown = reply ? `"${reply.text}" (rule ${reply.rule})` : 'no more replies';
      if (!reply || !textMatches(step.bot, reply.text)) return `${where(j)}: expected bot ${step.bot}, got ${shown}`;
      if (step.rule && step.rule !== reply.rule) return `${where(j)}: expected rule ${step.rule}, got ${reply.rule}`;
    }
  }
  return null;
}

/** `/regex/` or a plain substring. */
function textMatches(pattern: string, text: string): boolean {
  const m = /^\/(.*)\/([a-z]*)$/s.exec(pattern);
  return m ? new RegExp(m[1]!, m[2] || 'u').test(text) : text.includes(pattern);
}

function localOffsetMs(tz: string): number {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone: tz, timeZoneName: 'longOffset' }).formatToParts(FIXTURE_DAY_UTC);
  const m = /GMT([+-])(\d{2}):?(\d{2})?/.exec(parts.find((p) => p.type === 'timeZoneName')?.value ?? '');
  if (!m) return 0;
  return (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3] ?? 0)) * 60_000;
}

/** Rules no fixture made fire (the fallback counts as a rule). */
export function uncovered(playbook: CompiledPlaybook, fired: ReadonlySet<string>): string[] {
  const names = [...playbook.rules.filter((r) => r.enabled).map((r) => r.name), ...(playbook.fallback ? [FALLBACK_RULE] : [])];
  return names.filter((n) => !fired.has(n));
}
