import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/contracts/*.contract.ts'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    // Real servers and databases, tests inside a file in order. Vitest's default in a run is one
    // worker fewer than the cores: on this 2-core machine kind the files run one after another.
    // Two workers made migrations fail now and then: kysely lists every schema's tables, and
    // another file's schema was being dropped (src/db/index.ts now retries that). Two passed
    // once since (4.8 min against 5.6); left at one until they have passed many times.
    pool: 'forks',
  },
});
