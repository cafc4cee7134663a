import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/contracts/*.contract.ts'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    // Real servers and databases: files run in parallel across the 2 cores, tests inside a file in order.
    pool: 'forks',
  },
});
