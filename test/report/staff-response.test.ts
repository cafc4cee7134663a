import { describe, expect, it } from 'vitest';
import { STAFF_ANSWER_WINDOW_MS, staffResponse, topNotUnderstood } from '../../src/report/kpis.js';

const MIN = 60_000;
const period = { from: 0, to: 7 * 24 * 60 * MIN };
const reply = (conversationId: number, at: number, staff = '小王', text: string | null = '亲～') => ({ conversationId, at, staff, text });

describe('staff response (report)', () => {
  it('times each handoff to the first desk reply after it, in its own conversation', () => {
    const r = staffResponse(
      [{ conversationId: 1, at: 10 * MIN }, { conversationId: 2, at: 20 * MIN }, { conversationId: 1, at: 100 * MIN }],
      [reply(2, 15 * MIN), reply(1, 13 * MIN), reply(1, 14 * MIN, '小李'), reply(2, 30 * MIN), reply(1, 101 * MIN)],
      period,
    );
    // conversation 1: 3 min, then 1 min after its second handoff; conversation 2: 10 min (its earlier reply predates the handoff)
    expect(r).toEqual({ handoffs: 3, answered: 3, firstReplyMs: { replies: 3, median: 3 * MIN, p90: 10 * MIN }, replies: 5, staff: 2 });
  });

  it('counts a handoff nobody answered, or answered only after the window, as not answered', () => {
    const r = staffResponse(
      [{ conversationId: 1, at: 0 }, { conversationId: 2, at: 0 }],
      [reply(2, STAFF_ANSWER_WINDOW_MS + 1)],
      period,
    );
    expect(r.answered).toBe(0);
    expect(r.firstReplyMs).toEqual({ replies: 0, median: null, p90: null });
  });

  it('counts only the period\'s own replies as written in it (later ones only answer its handoffs)', () => {
    const r = staffResponse([{ conversationId: 1, at: period.to - MIN }], [reply(1, period.to + MIN)], period);
    expect(r).toMatchObject({ answered: 1, replies: 0, staff: 0 });
  });

  it('gives each question the bot missed what a person answered it with, the last time it was answered at the desk', () => {
    const asked = [
      { messageId: 10, conversationId: 1, at: 0, text: '火星能送吗' },
      { messageId: 20, conversationId: 2, at: 10 * MIN, text: '火星能送吗？' },
      { messageId: 30, conversationId: 3, at: 20 * MIN, text: '火星能送吗' }, // answered only after the window
      { messageId: 40, conversationId: 4, at: 30 * MIN, text: '你们老板养猫吗' }, // nobody answered
    ];
    const staff = [
      reply(1, 2 * MIN, '小王', '亲，火星暂时送不到哦～'),
      reply(2, 5 * MIN, '小李', '早先的话'), // before the question: no answer to it
      reply(2, 12 * MIN, '小李', '亲，火星还不在配送范围，地球上都能送～'),
      reply(3, 20 * MIN + STAFF_ANSWER_WINDOW_MS + 1, '小王', '太晚了'),
      reply(1, 3 * MIN, '小王', null), // a picture: no text to offer
    ];
    expect(topNotUnderstood(asked, staff)).toEqual([
      { text: '火星能送吗', count: 3, staffAnswer: '亲，火星还不在配送范围，地球上都能送～' },
      { text: '你们老板养猫吗', count: 1 },
    ]);
  });
});
