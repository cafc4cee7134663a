import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/contracts/*.contract.ts'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    // Real servers and databases, tests inside a file in order, files in parallel. Vitest's
    // default is one worker fewer than the cores: one on this 2-core machine kind, so the files
    // ran one after another (5.5 min). Most of a file's time is waiting on servers, databases and
    // Chromium, so two workers fit two cores (3.5 min). Two once made migrations fail now and then:
    // kysely lists every schema's tables while another file drops its schema (src/db/index.ts
    // retries that since; four full runs with two workers passed). Three workers (tried at 706
    // tests) took as long as two and hit that race's other form, "cache lookup failed", retried too.
    pool: 'forks',
    maxWorkers: Math.max(2, availableParallelism() - 1),
  },
});
