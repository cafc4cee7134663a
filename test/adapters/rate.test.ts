import { describe, expect, it } from 'vitest';
import { createRateLimiter, RATE_SWEEP_EVERY } from '../../adapters/shared/rate.js';

describe('send rate limiter', () => {
  it('allows `count` per window on every key together, then says how long to wait', () => {
    let now = 1000;
    const r = createRateLimiter(() => now);
    const limits = [{ key: 'app', rate: { count: 3, windowMs: 1000 } }, { key: 'chat', rate: { count: 2, windowMs: 1000 } }];
    expect(r.take(limits)).toBe(0);
    now += 100;
    expect(r.take(limits)).toBe(0);
    expect(r.take(limits)).toBe(900); // chat full until the first send leaves the window
    expect(r.take([{ key: 'app', rate: { count: 3, windowMs: 1000 } }])).toBe(0); // the refused send took nothing
    now = 2000; // the send at 1000 has left both windows
    expect(r.take(limits)).toBe(0);
    expect(r.take(limits)).toBe(100); // app holds 1100, 1100, 2000 and chat 1100, 2000: room again at 2100
    now = 2100;
    expect(r.take(limits)).toBe(0);
  });
});

describe('send rate limiter memory', () => {
  it('forgets recipients whose window has passed, so a long-running service does not keep one entry per customer ever answered', () => {
    let now = 0;
    const r = createRateLimiter(() => now);
    for (let i = 0; i < RATE_SWEEP_EVERY - 1; i++) r.take([{ key: `chat-${i}`, rate: { count: 5, windowMs: 1000 } }]);
    expect(r.keys).toBe(RATE_SWEEP_EVERY - 1);
    now = 5000; // every one of those windows has passed
    expect(r.take([{ key: 'chat-new', rate: { count: 5, windowMs: 1000 } }])).toBe(0); // this take sweeps
    expect(r.keys).toBe(1);
  });
});
