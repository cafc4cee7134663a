import { describe, expect, it } from 'vitest';
import { BACKOFF_BASE_MS, BACKOFF_CAP_MS, backoffMs } from '../../src/scheduler/outbox-worker.js';

describe('outbox backoff', () => {
  it('doubles from the base, stays within [half, full], and is capped', () => {
    expect(backoffMs(1, () => 0)).toBe(BACKOFF_BASE_MS / 2);
    expect(backoffMs(1, () => 0.999999)).toBeLessThanOrEqual(BACKOFF_BASE_MS);
    expect(backoffMs(3, () => 0)).toBe((BACKOFF_BASE_MS * 4) / 2);
    expect(backoffMs(40, () => 0.999999)).toBeLessThanOrEqual(BACKOFF_CAP_MS);
    expect(backoffMs(40, () => 0)).toBe(BACKOFF_CAP_MS / 2);
  });
});
