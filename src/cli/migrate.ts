import { parseArgs } from 'node:util';
import { readEnvOptions } from '../config/env.js';
import { migrateDown, migrateToLatest, openDb } from '../db/index.js';

export async function runMigrate(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { down: { type: 'boolean' } }, strict: true });
  const env = readEnvOptions();
  const handle = openDb(env.databaseUrl);
  try {
    const result = values.down ? await migrateDown(handle.db) : await migrateToLatest(handle.db);
    const ran = result.results ?? [];
    if (ran.length === 0) process.stdout.write('database is up to date\n');
    for (const r of ran) process.stdout.write(`${r.direction === 'Up' ? 'applied' : 'reverted'} ${r.migrationName}: ${r.status}\n`);
    return 0;
  } finally {
    await handle.close();
  }
}
