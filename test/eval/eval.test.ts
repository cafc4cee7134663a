import { describe, expect, it } from 'vitest';
import { loadPlaybooks } from '../../src/playbook/load.js';
import { understand } from '../../src/engine/understand.js';
import { DEFAULT_PLAYBOOKS } from '../helpers/service.js';
import { evaluate, holdoutRegressions, loadUnderstood, loadUtterances, meetsTargets } from './evaluate.js';

const playbook = loadPlaybooks(DEFAULT_PLAYBOOKS).playbook!;
const all = loadUtterances();

describe('understanding, measured on the labelled set (npm run eval prints the tables)', () => {
  it('has at least 300 messages, a third held out, every catalog intent and "none of these"', () => {
    expect(all.length).toBeGreaterThanOrEqual(300);
    expect(all.filter((u) => u.split === 'holdout').length).toBeGreaterThanOrEqual(Math.floor(all.length / 3) - 5);
    const intents = new Set(all.map((u) => u.intent));
    for (const i of ['greeting', 'farewell', 'handoff', 'optout', 'bargain', 'faq.shipping_time', 'faq.courier', 'faq.invoice', 'faq.authentic',
      'faq.size', 'faq.returns', 'faq.address_change', 'faq.remote_delivery', 'order_status', 'complaint', null]) expect(intents).toContain(i);
  });

  it('meets the targets: tune ≥ 99 %, handoff and optout recall 100 % with no false alarms, bargainer ≥ 90 %', () => {
    expect(meetsTargets(evaluate(playbook, all), evaluate(playbook, all.filter((u) => u.split === 'tune')))).toEqual([]);
  });

  // The holdout grows with batches written blind and never tuned on, each joining at its first-run
  // score (38–80 %), so its figure drifts down as batches are added even when nothing regresses
  // (83.6 % today). What guards regressions is the next test; this floor is only a sanity bound.
  it('the holdout third alone still clears 80 % (generalization, not memorization)', () => {
    expect(evaluate(playbook, all.filter((u) => u.split === 'holdout')).accuracy).toBeGreaterThanOrEqual(0.8);
  });

  // A phrase change that breaks unseen wording shows here message by message. A change that trades
  // one away on purpose records the new list: npx tsx test/eval/run.ts --accept-holdout.
  it('every holdout message understood when the list was accepted is still understood', () => {
    const holdout = all.filter((u) => u.split === 'holdout');
    const listed = loadUnderstood();
    expect(listed.length).toBeGreaterThan(400);
    expect(holdoutRegressions(holdout, evaluate(playbook, holdout), listed)).toEqual({ missed: [], unknown: [] });
  });

  // 您是想问…: a missed message gets the questions it most resembles (tune examples, never the
  // holdout). Only a question the shop offers (an intent with an ask) can be among them: a missed
  // complaint, haggle or 答非所问 never is, by design. Today the meant one is offered for 42 of the
  // holdout's 54 misses that mean an offered question (of 87 misses in all).
  it('for at least 70 % of the holdout messages it misses that mean an offered question, that question is among those offered', () => {
    const { suggest } = evaluate(playbook, all.filter((u) => u.split === 'holdout'));
    expect(suggest.askable).toBeGreaterThan(20);
    expect(suggest.right / suggest.askable).toBeGreaterThanOrEqual(0.7);
  });

  it.each([
    ['能便移点吗', 'bargain'], ['在码', 'greeting'], ['請幫我轉真人客服', 'handoff'], ['bie fa le', 'optout'], ['kf', 'handoff'],
    ['📦发圆通行吗', 'faq.courier'], ['不用转人工，我问下发票', 'faq.invoice'], ['我不是要退货', null], ['人工智能音箱有吗', null],
    // 有没有 asks (A没A, like 能不能), so what follows is not negated; 没有 alone still negates.
    ['有没有真人在', 'handoff'], ['我没有要退货', null],
    // 特别 is no 别: 特别想转人工 asks for a person.
    ['特别想转人工', 'handoff'], ['别转人工，问下发票', 'faq.invoice'],
    // Verb–object words split by 个/了/过 (离合词): the two-character phrase still counts as written.
    ['能打个折吗', 'bargain'], ['能砍个价吗', 'bargain'], ['换个货要多久', 'faq.returns'],
  ])('%s → %s', (text, intent) => {
    expect(understand(text, playbook).intent).toBe(intent);
  });

  it('a long message with several wishes resolves to the main one (handoff first)', () => {
    expect(understand('发票怎么开？还有能便宜点吗？算了你直接给我转人工吧', playbook).intent).toBe('handoff');
  });
});
