import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import type { TestDialect } from './db.js';
import { freshDatabaseUrl } from './db.js';
import { FakePlatforms } from './fake-platforms.js';
import { startService } from './service.js';
import type { TestService } from './service.js';

export interface Suite {
  fake: FakePlatforms;
  svc: TestService;
  /** The service's clock (epoch ms): tests move it. */
  clock: number;
  /** The test's database, for a second instance. */
  dbUrl: string;
}

/**
 * The real service on a fresh database of `dialect`, against one fake platform API, with a
 * clock the test moves: started before each test, stopped after it.
 */
export function platformSuite(dialect: TestDialect, o: { start: number; config: (fake: FakePlatforms) => string }): Suite {
  const t = { clock: o.start } as Suite;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    t.fake = await new FakePlatforms().start();
  });
  afterAll(() => t.fake.stop());
  beforeEach(async () => {
    t.fake.reset();
    t.clock = o.start;
    const db = await freshDatabaseUrl(dialect);
    cleanup = db.cleanup;
    t.dbUrl = db.url;
    t.svc = await startService({
      databaseUrl: db.url, feishuBase: t.fake.base, now: () => new Date(t.clock), random: () => 0, configFile: o.config(t.fake),
    });
  });
  afterEach(async () => {
    await t.svc.close();
    await cleanup();
  });
  return t;
}
