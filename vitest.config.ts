import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/contracts/*.contract.ts'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    // Real servers and databases, tests inside a file in order. Vitest's default in a run is one
    // worker fewer than the cores: on this 2-core machine kind the files run one after another.
    // Two workers (3.8 min against 5.6 here) made migrations of two test files into their own
    // PostgreSQL schemas at once fail now and then ("relation … does not exist" from a parallel
    // query worker): left at one until that is understood.
    pool: 'forks',
  },
});
