import { parseArgs } from 'node:util';
import { readEnvOptions } from '../config/env.js';
import { loadConfig, resolveConfigPath } from '../config/load.js';
import { createLogger } from '../log.js';
import { createService } from '../service.js';

export async function runServe(args: string[]): Promise<number> {
  parseArgs({ args, options: {}, strict: true });
  const env = readEnvOptions();
  const log = createLogger(env.logLevel);
  const { path, demo } = resolveConfigPath(env.configPath);
  const config = loadConfig(path);
  for (const w of config.warnings) log.warn({ config: path, line: w.line, field: w.field }, w.message);
  const service = await createService({ env, config, log });
  const { port } = await service.listen(env.port);
  log.info({ port, config: path, database: env.databaseUrl.replace(/\/\/[^@/]*@/, '//***@'), shops: config.shops.map((s) => s.id) }, 'xiaoer is listening');
  if (demo) {
    log.info(`no xiaoer.yml found: serving the built-in demo shop. Chat with it: npx xiaoer simulate --shop demo`);
  }
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      log.info({ signal }, 'shutting down: finishing in-flight writes and sends');
      resolve();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await service.close();
  return 0;
}
