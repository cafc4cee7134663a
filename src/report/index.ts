import type { Kysely } from 'kysely';
import type { ShopConfig } from '../config/schema.js';
import {
  customerIdentities, handoffs as handoffFacts, inboundMessages, memberTiers, optOutsSince, orderEventsSince, payersBetween, proactiveSent, replies, scanPeriod, staffReplies, undelivered,
} from '../db/report.js';
import { campaignResults, ORDERED_WITHIN_MS } from './campaigns.js';
import type { CampaignResult } from './campaigns.js';
import { LAPSED_AFTER_MS, memberSales } from './members.js';
import { refunds } from './refunds.js';
import type { Refunds } from './refunds.js';
import type { MemberSales } from './members.js';
import { lessonCounts, lessonsOnMessages, NOT_A_QUESTION } from '../db/lessons.js';
import type { Database, LessonOutcome } from '../db/schema.js';
import { missRules } from '../engine/lessons.js';
import { askFor, similarIntents, suggestMinScore } from '../engine/suggest.js';
import type { CompiledPlaybook } from '../playbook/compiled.js';
import {
  conversion, CONVERSION_WINDOW_DAYS, latency, ordersPlaced, paymentReminders, questionKey, reception, ruleUse, STAFF_ANSWER_WINDOW_MS, staffResponse, TOP_NOT_UNDERSTOOD, topGuessed, topItems, topNotUnderstood, topRegions,
} from './kpis.js';
import type { Conversion, Latency, NotUnderstoodFact, PaymentReminders, Reception, StaffResponse } from './kpis.js';
import { localStamp, localTime } from '../engine/time.js';
import type { ReportPeriod } from './period.js';

/** Rules listed under "answered most". */
const TOP_RULES = 10;
/** Below this many messages in the period, a rule that answered none says little: the list is left out of the text. */
const UNUSED_RULES_AFTER = 50;

/** The figures domain.md §10 says staff are judged by, and what to teach the bot next. */
export interface ShopReport {
  shop: { id: string; name: string; timezone: string };
  /** incompleteBefore: shop-local time ("YYYY-MM-DD HH:MM") before which retention has deleted the chats, when that falls in the period. */
  period: { from: string; to: string; incompleteBefore?: string };
  reception: Reception & { handoffs: number };
  staff: StaffResponse;
  responseMs: { first: Latency; all: Latency };
  conversion: Conversion & { windowDays: number };
  /** null when the playbooks did not load (the rules that remind unpaid orders are read from them). */
  paymentReminders: PaymentReminders | null;
  /** Marketing rules that sent in the period and what followed (null: playbooks did not load). */
  campaigns: CampaignResult[] | null;
  /** Members: how many, new, active, lapsed, and their share of the paid orders (null: no customer has a tier). */
  members: MemberSales | null;
  undelivered: { dead: number; skipped: number };
  /** Orders placed in the period and their most frequent items. */
  orders: { placed: number; topItems: { title: string; orders: number; qty: number }[]; regions: { province: string; orders: number }[]; regionUnknown: number };
  /** Refund requests and refunds in the period, with the reasons customers gave. */
  refunds: Refunds;
  /**
   * resembles: the intents the question is most like (as 您是想问 ranks them), to say where to add it; absent without playbooks.
   * staffAnswer: what a person answered it with at the desk, the last time it was answered there.
   */
  notUnderstood: { text: string; count: number; resembles?: string[]; staffAnswer?: string; taught?: Taught }[];
  /** Questions answered on a guess (fallback.suggest.answerAbove): the intent taken and how alike, at best. */
  guessed: { text: string; intent: string; score: number; count: number; ask?: string; taught?: Taught }[];
  /**
   * Questions staff taught at the desk (教机器人): waiting for `xiaoer teach --from-desk` now, and
   * put in the playbooks (added) or refused by it in the period.
   */
  taught: { waiting: number; added: number; refused: number };
  /** Reply rules by messages answered; and the customer-message rules that answered none (null: playbooks did not load). */
  rules: { used: { rule: string; messages: number }[]; unused: string[] | null };
}

/** What staff said at the desk about a listed question (any message that asked it): the intent taught and where that stands. */
export interface Taught {
  intent: string | null;
  state: 'waiting' | LessonOutcome;
  staff: string;
}

/**
 * 催付 rules: follow-ups that only go to an order still waiting for payment (`orderState:
 * created`) — read from the shop's playbook, since the names are the shop's own.
 */
export function paymentReminderRules(playbook: CompiledPlaybook): string[] {
  return playbook.rules
    .filter((r) => r.event === 'schedule' && r.orderStates !== undefined && r.orderStates.size > 0 && [...r.orderStates].every((s) => s === 'created'))
    .map((r) => r.name);
}

function marketingRules(playbook: CompiledPlaybook): Set<string> {
  return new Set(playbook.rules.filter((r) => r.category === 'marketing').map((r) => r.name));
}

/** Switched-on rules that answer customer messages and answered none: a keyword that never matches, or a question nobody asks. */
function unusedMessageRules(playbook: CompiledPlaybook, used: readonly { rule: string }[]): string[] {
  const fired = new Set(used.map((u) => u.rule));
  return playbook.rules.filter((r) => r.enabled && (r.event === 'message' || r.event === 'first_message') && !fired.has(r.name)).map((r) => r.name);
}

export async function buildReport(
  db: Kysely<Database>, shop: ShopConfig, playbook: CompiledPlaybook | null, p: ReportPeriod, keptSince: number | null = null,
  notUnderstoodLimit = TOP_NOT_UNDERSTOOD,
): Promise<ShopReport> {
  const scan = await scanPeriod(db, p);
  const [inbound, answered, proactive, orders, handedOver, lost, byStaff, taught, optOuts, members] = await Promise.all([
    inboundMessages(db, shop.id, scan), replies(db, shop.id, scan), proactiveSent(db, shop.id, scan),
    orderEventsSince(db, shop.id, p.from), handoffFacts(db, shop.id, scan), undelivered(db, shop.id, scan),
    staffReplies(db, shop.id, scan, p.to + STAFF_ANSWER_WINDOW_MS), lessonCounts(db, shop.id, p.from, p.to), optOutsSince(db, shop.id, p.from),
    memberTiers(db, shop.id),
  ]);
  const placed = ordersPlaced(orders, p);
  const regions = topRegions(placed);
  const paidRecently = members.size ? await payersBetween(db, shop.id, p.to - LAPSED_AFTER_MS, p.to) : new Set<string>();
  const identities = await customerIdentities(db, [...new Set(inbound.map((m) => m.customerId))]);
  const { notUnderstoodTexts, guessedTexts, ...counts } = reception(inbound, answered, playbook ? missRules(playbook) : undefined);
  const used = ruleUse(answered);
  const taughtAs = await taughtQuestions(db, shop.id, [...notUnderstoodTexts, ...guessedTexts]);
  return {
    shop: { id: shop.id, name: shop.name, timezone: shop.timezone },
    period: { from: p.fromDay, to: p.toDay, ...(keptSince !== null && keptSince > p.from ? { incompleteBefore: localStamp(keptSince, shop.timezone) } : {}) },
    reception: { ...counts, handoffs: handedOver.length },
    staff: staffResponse(handedOver, byStaff, p),
    responseMs: latency(inbound, answered),
    conversion: { ...conversion(inbound, identities, orders), windowDays: CONVERSION_WINDOW_DAYS },
    paymentReminders: playbook ? paymentReminders(paymentReminderRules(playbook), proactive, orders) : null,
    campaigns: playbook ? campaignResults(marketingRules(playbook), proactive, inbound, identities, orders, optOuts) : null,
    members: memberSales(orders, members, p, inbound, identities, paidRecently),
    undelivered: lost,
    orders: { placed: placed.length, topItems: topItems(placed), regions: regions.regions, regionUnknown: regions.unknown },
    refunds: refunds(orders, p),
    notUnderstood: topNotUnderstood(notUnderstoodTexts, byStaff, notUnderstoodLimit)
      .map((q) => ({ ...q, ...(playbook ? { resembles: resemblingIntents(playbook, q.text) } : {}), ...taughtAs(q.text) })),
    guessed: topGuessed(guessedTexts).map((g) => {
      const ask = playbook && askFor(playbook, g.intent);
      return { ...g, ...(ask ? { ask } : {}), ...taughtAs(g.text) };
    }),
    taught,
    rules: { used, unused: playbook ? unusedMessageRules(playbook, used) : null },
  };
}

/** For each question (as the lists group them), what staff last said about any message that asked it at the desk. */
async function taughtQuestions(db: Kysely<Database>, shopId: string, asked: readonly NotUnderstoodFact[]): Promise<(text: string) => { taught?: Taught }> {
  if (asked.length === 0) return () => ({});
  const lessons = await lessonsOnMessages(db, shopId, asked.map((m) => m.messageId));
  const byKey = new Map<string, Taught & { id: number }>();
  for (const m of asked) {
    const l = lessons.get(m.messageId);
    const key = questionKey(m.text);
    if (l && (byKey.get(key)?.id ?? -1) < l.id) {
      byKey.set(key, { id: l.id, intent: l.intent === NOT_A_QUESTION ? null : l.intent, state: l.settled?.outcome ?? 'waiting', staff: l.staff });
    }
  }
  return (text) => {
    const t = byKey.get(text);
    return t ? { taught: { intent: t.intent, state: t.state, staff: t.staff } } : {};
  };
}

/** How a desk lesson reads in the text report. */
function taughtLine(t: Taught): string {
  if (t.state === 'dismissed') return `marked 不用教 at the desk by ${t.staff}`;
  const where = { waiting: 'waiting for teach --from-desk', added: 'in the playbooks', already: 'in the playbooks', refused: 'refused by teach --from-desk' }[t.state];
  return `taught at the desk as ${t.intent} by ${t.staff}: ${where}`;
}

function money(n: number): string {
  return n.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
}

/** Characters of a staff answer shown in the text report (the FAQ sheet has it whole). */
const STAFF_ANSWER_SHOWN = 60;

function clip(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return [...flat].length > max ? `${[...flat].slice(0, max).join('')}…` : flat;
}

/** Intents a question is shown as resembling, at most: enough to point staff to the right place. */
const RESEMBLES_SHOWN = 2;

function resemblingIntents(playbook: CompiledPlaybook, text: string): string[] {
  return similarIntents(playbook, text).filter((s) => s.score >= suggestMinScore(playbook)).slice(0, RESEMBLES_SHOWN).map((s) => s.intent);
}

export function formatReport(r: ShopReport): string {
  const pct = (n: number, of: number) => (of === 0 ? '—' : `${Math.round((n / of) * 100)}%`);
  const share = (n: number, of: number) => `${n} (${pct(n, of)})`;
  const secs = (ms: number | null) => (ms === null ? '—' : ms < 100 ? 'under 0.1 s' : ms <= 120_000 ? `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`
    : ms <= 2 * 3_600_000 ? `${(ms / 60_000).toFixed(0)} min` : `${(ms / 3_600_000).toFixed(1)} h`);
  const lat = (l: Latency) => (l.replies === 0 ? 'no replies sent' : `median ${secs(l.median)}, 90% within ${secs(l.p90)}`);
  const rc = r.reception;
  const replied = rc.understood + rc.notUnderstood;
  const lines = [
    `${r.shop.name} (${r.shop.id}) — ${r.period.from} to ${r.period.to}, ${r.shop.timezone}`,
    ...(r.period.incompleteBefore ? [`  (chats before ${r.period.incompleteBefore} are deleted under retention.days: figures before then are incomplete)`] : []),
    '',
    'Reception (接待)',
    `  customers who wrote (询单人数)        ${rc.customers}`,
    `  their messages                        ${rc.messages}`,
    `  answered by a rule                    ${rc.understood} (${pct(rc.understood, replied)} of those the bot answered)`,
    ...(rc.guessed ? [`    of them on a guess (by likeness)    ${rc.guessed}: check them below`] : []),
    `  not understood (fallback reply)       ${rc.notUnderstood}`,
    ...(rc.misread ? [`  said the answer missed (答非所问)      ${rc.misread}: the staff desk's 待核对 lists what they had asked`] : []),
    `  no bot reply (a person has it, or a silent rule)  ${rc.noReply}`,
    `  handed to a person (转人工)           ${rc.handoffs}`,
    '',
    'Response time (customer message → platform took the bot\'s reply)',
    `  first response (首次响应)   ${lat(r.responseMs.first)}`,
    `  every reply                 ${lat(r.responseMs.all)}${r.responseMs.all.replies ? ` (${r.responseMs.all.replies} replies)` : ''}`,
    '',
    'People (人工: customers the bot handed over, answered at the staff desk)',
    `  handoffs answered           ${r.staff.answered} of ${r.staff.handoffs}${r.staff.handoffs ? ` (${pct(r.staff.answered, r.staff.handoffs)} within ${STAFF_ANSWER_WINDOW_MS / 3_600_000} h)` : ''}`,
    `  first reply after handoff   ${r.staff.firstReplyMs.replies ? `median ${secs(r.staff.firstReplyMs.median)}, 90% within ${secs(r.staff.firstReplyMs.p90)}` : '—'}`,
    `  replies written             ${r.staff.replies}${r.staff.replies ? ` by ${r.staff.staff} staff` : ''}`,
    '',
    `Inquiry conversion (询单转化率: ordered within ${r.conversion.windowDays} days of first writing)`,
    `  ordered ${r.conversion.ordered} of ${r.conversion.inquirers} (${pct(r.conversion.ordered, r.conversion.inquirers)}), paid ${r.conversion.paid} (${pct(r.conversion.paid, r.conversion.inquirers)})`,
    '',
  ];
  const pr = r.paymentReminders;
  if (!pr) lines.push('Payment reminders (催付): the playbooks did not load; run xiaoer check');
  else if (pr.rules.length === 0) lines.push('Payment reminders (催付): no rule reminds unpaid orders (schedule rules with orderState: created)');
  else {
    lines.push(`Payment reminders (催付: ${pr.rules.join(', ')})`,
      `  orders reminded ${pr.ordersReminded}, paid after the reminder ${pr.paidAfter} (${pct(pr.paidAfter, pr.ordersReminded)})`);
  }
  if (r.campaigns?.length) {
    lines.push('', `Marketing messages (营销: customers reached, and of them who wrote back within a day, ordered within ${ORDERED_WITHIN_MS / 86_400_000} days, said 退订 within a day)`,
      `  ${'reached'.padStart(7)}  ${'wrote back'.padStart(10)}  ${'ordered'.padStart(10)}  ${'退订'.padStart(8)}  rule`,
      ...r.campaigns.map((c) => `  ${String(c.customers).padStart(7)}  ${share(c.wroteBack, c.customers).padStart(10)}  ${share(c.ordered, c.customers).padStart(10)}`
        + `  ${share(c.optedOut, c.customers).padStart(8)}  ${c.rule}`));
  }
  const m = r.members;
  if (m) {
    lines.push('', 'Members (会员)',
      `  members          ${m.members} now, ${m.newMembers} new in the period`,
      `  active           ${share(m.active, m.members)} wrote or paid in the period`,
      `  lapsed (流失)     ${share(m.lapsed, m.members)} members for half a year with no paid order in it`,
      `  paid orders in the period, by the customer's tier now:`,
      `  members' share  ${m.memberOrders} of ${m.orders} orders (${pct(m.memberOrders, m.orders)}), ${money(m.memberTotal)} of ${money(m.total)} (${pct(m.memberTotal, m.total)})`,
      ...m.byTier.map((t) => `  ${String(t.orders).padStart(5)} orders  ${money(t.total).padStart(10)}  ${t.tier}`));
  }
  lines.push('', `Orders placed: ${r.orders.placed}${r.orders.topItems.length ? '; most ordered:' : ''}`,
    ...r.orders.topItems.map((t) => `  ${String(t.orders).padStart(5)}  ${t.title}${t.qty > t.orders ? ` (${t.qty} pieces)` : ''}`));
  if (r.orders.regions.length) {
    lines.push(`Where they go (省份), most first${r.orders.regionUnknown ? ` (${r.orders.regionUnknown} without a province)` : ''}:`,
      `  ${r.orders.regions.map((x) => `${x.province} ${share(x.orders, r.orders.placed)}`).join(', ')}`);
  }
  const rf = r.refunds;
  if (rf.requested || rf.refunded) {
    lines.push('', `Refunds (退款): ${rf.requested} requested, ${rf.refunded} refunded${rf.reasons.length ? '; reasons given, most first:' : ''}`,
      ...rf.reasons.map((x) => `  ${String(x.orders).padStart(5)}  ${x.reason}`));
  }
  lines.push('', `Undelivered: ${r.undelivered.dead} dead-lettered (see the log), ${r.undelivered.skipped} skipped by platform rules`, '');
  const top = r.rules.used.slice(0, TOP_RULES);
  if (top.length) lines.push('Rules that answered most (messages)', ...top.map((u) => `  ${String(u.messages).padStart(5)}  ${u.rule}`), '');
  if (r.rules.unused?.length && r.reception.messages >= UNUSED_RULES_AFTER) {
    lines.push(`Rules that answered nothing in this period (${r.rules.unused.length}): ${r.rules.unused.join(', ')}`, '');
  }
  if (r.reception.messages === 0) lines.push('Not understood: no customer messages in this period');
  else if (r.notUnderstood.length === 0) lines.push('Not understood: nothing — every message met a rule');
  else {
    lines.push('Not understood, most asked (worth a quick reply in playbooks/quick-replies.yml, or a line under the intent',
      `meant: xiaoer teach --shop ${r.shop.id} <intent> "<text>"; "resembles" is the bot's own guess, check it):`,
      ...r.notUnderstood.flatMap((n) => [
        `  ${String(n.count).padStart(4)}×  ${n.text}${n.resembles?.length ? `   (resembles ${n.resembles.join(', ')})` : ''}`,
        ...(n.staffAnswer ? [`         staff answered: ${clip(n.staffAnswer, STAFF_ANSWER_SHOWN)}`] : []),
        ...(n.taught ? [`         ${taughtLine(n.taught)}`] : []),
      ]));
  }
  if (r.guessed.length) {
    lines.push('', 'Answered on a guess (no phrase matched; the bot took the intent from likeness to its examples — check them:',
      `right: xiaoer teach --shop ${r.shop.id} --phrase <intent> "<text>" answers it for certain; wrong: teach the intent meant —`,
      'or staff mark them 猜对了 / 猜错了 under the message at the desk):',
      ...r.guessed.flatMap((g) => [`  ${String(g.count).padStart(4)}×  ${g.text}   → ${g.intent}${g.ask ? ` ${g.ask}` : ''} (${Math.round(g.score * 100)}% alike)`,
        ...(g.taught ? [`         ${taughtLine(g.taught)}`] : [])]));
  }
  const t = r.taught;
  if (t.waiting || t.added || t.refused) {
    lines.push('', `Taught at the desk (教机器人): ${t.waiting} waiting to be added${t.waiting ? ` — xiaoer teach --shop ${r.shop.id} --from-desk` : ''}`
      + `; in this period ${t.added} added to the playbooks${t.refused ? `, ${t.refused} refused (the desk shows why)` : ''}`);
  }
  return `${lines.join('\n')}\n`;
}
