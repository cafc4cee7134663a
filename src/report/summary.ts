import type { ShopReport } from './index.js';

/** Questions named in the weekly message: a group chat is read on a phone. */
const SUMMARY_QUESTIONS = 5;
/** Marketing rules named in it, those that reached most customers. */
const SUMMARY_CAMPAIGNS = 3;
/** Guessed answers named in it, the most frequent: enough to check on the phone. */
const SUMMARY_GUESSES = 3;

/**
 * The week's figures as one message for the staff group (domain.md §10: first response,
 * 询单转化率, payment after reminder; and the questions worth a saved answer), short enough for a
 * robot message and a phone screen; the whole report stays `xiaoer report`.
 */
export function weeklySummary(r: ShopReport): string {
  const pct = (n: number, of: number) => (of === 0 ? '—' : `${Math.round((n / of) * 100)}%`);
  const secs = (ms: number | null) => (ms === null ? '—' : ms < 60_000 ? `${Math.max(0.1, ms / 1000).toFixed(1)} 秒` : `${Math.round(ms / 60_000)} 分钟`);
  const rc = r.reception;
  const lines = [
    `【周报】${r.shop.name} ${r.period.from} 至 ${r.period.to}`,
    `接待：${rc.customers} 位顾客，${rc.messages} 条消息；机器人答上 ${rc.understood} 条，没听懂 ${rc.notUnderstood} 条，转人工 ${rc.handoffs} 次`,
    ...(rc.misread ? [`顾客说答非所问 ${rc.misread} 次：接待台「待核对」里有他们当时问的话，请教给机器人`] : []),
    // A guess answered without a phrase: staff should look; the most frequent here, all in the full report.
    ...(rc.guessed ? [`其中 ${rc.guessed} 条是机器人按相似猜着答的，请核对猜得对不对（在接待台打开会话，消息下点 猜对了 / 猜错了）：`,
      ...r.guessed.slice(0, SUMMARY_GUESSES).map((g, i) => `${i + 1}. ${g.text} → 当成「${g.ask ?? g.intent}」（${g.count} 次）`)] : []),
    `首次响应：中位 ${secs(r.responseMs.first.median)}，90% 在 ${secs(r.responseMs.first.p90)} 内`,
    `人工：${r.staff.handoffs} 次转人工，${r.staff.answered} 次 24 小时内有人回复${r.staff.firstReplyMs.replies ? `（首次回复中位 ${secs(r.staff.firstReplyMs.median)}）` : ''}`,
    `询单转化率：${r.conversion.ordered}/${r.conversion.inquirers}（${pct(r.conversion.ordered, r.conversion.inquirers)}），付款 ${r.conversion.paid}`,
    ...(r.paymentReminders ? [`催付：提醒 ${r.paymentReminders.ordersReminded} 单，之后付款 ${r.paymentReminders.paidAfter} 单（${pct(r.paymentReminders.paidAfter, r.paymentReminders.ordersReminded)}）`] : []),
    ...(r.members ? [`会员：${r.members.members} 人，新增 ${r.members.newMembers}，活跃 ${pct(r.members.active, r.members.members)}，流失 ${r.members.lapsed}；`
      + `付款 ${r.members.orders} 单中会员 ${r.members.memberOrders} 单（${pct(r.members.memberOrders, r.members.orders)}），金额占 ${pct(r.members.memberTotal, r.members.total)}`] : []),
    // What each marketing message changed; 退订 after it is the figure to act on.
    ...(r.campaigns ?? []).slice(0, SUMMARY_CAMPAIGNS).map((c) => `营销「${c.rule}」：触达 ${c.customers} 人，一天内回复 ${c.wroteBack}，三天内下单 ${c.ordered}，退订 ${c.optedOut}`),
    ...(r.orders.regions.length ? [`订单去向：${r.orders.regions.slice(0, 3).map((x) => `${x.province} ${x.orders}`).join('、')}`] : []),
    ...(r.refunds.requested || r.refunds.refunded ? [`退款：申请 ${r.refunds.requested} 单，已退 ${r.refunds.refunded} 单${r.refunds.reasons.length
      ? `；原因：${r.refunds.reasons.slice(0, 3).map((x) => `${x.reason}（${x.orders}）`).join('、')}` : ''}`] : []),
    ...(r.undelivered.dead ? [`未送达的回复：${r.undelivered.dead} 条（xiaoer alerts / 接待台可查）`] : []),
  ];
  const top = r.notUnderstood.slice(0, SUMMARY_QUESTIONS);
  if (top.length) {
    lines.push('没听懂最多的问题（值得加一条快捷回复）：', ...top.map((q, i) => `${i + 1}. ${q.text}（${q.count} 次${q.staffAnswer ? '，客服答过' : ''}）`));
    // What a person answered is the draft of the saved answer: the sheet has it whole.
    if (top.some((q) => q.staffAnswer)) lines.push(`客服答过的问题，可以把当时的回答整理成快捷回复：npx xiaoer report --shop ${r.shop.id} --faq-sheet 问答.csv`);
  }
  // Lessons only reach the playbooks when the shop runs this where the files live.
  if (r.taught.waiting) lines.push(`接待台教了 ${r.taught.waiting} 句还没加入话术：npx xiaoer teach --shop ${r.shop.id} --from-desk`);
  lines.push(`完整报表：npx xiaoer report --shop ${r.shop.id} --from ${r.period.from} --to ${r.period.to}`);
  return lines.join('\n');
}
