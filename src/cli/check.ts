import { parseArgs } from 'node:util';
import { adapters } from '../../adapters/index.js';
import { createPlatformHttp } from '../../adapters/shared/http.js';
import { createTokenCache } from '../../adapters/shared/token-cache.js';
import { platformBases, readEnvOptions } from '../config/env.js';
import type { EnvOptions } from '../config/env.js';
import type { AppConfig } from '../config/schema.js';
import { createLogger } from '../log.js';
import { secretValues, withoutSecrets } from './redact.js';
import { loadConfig, resolveConfigPath } from '../config/load.js';
import { formatProblem, ValidationError } from '../errors.js';
import type { Problem } from '../errors.js';
import { loadPlaybooks } from '../playbook/load.js';

/** Validates the config and every shop's playbooks; prints each problem as file:line:col. */
export async function runCheck(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args, strict: true, options: { config: { type: 'string', short: 'c' }, rules: { type: 'boolean' }, live: { type: 'boolean' } },
  });
  const env = readEnvOptions();
  const { path } = resolveConfigPath(values.config ?? env.configPath);
  let config;
  try {
    config = loadConfig(path);
  } catch (err) {
    if (!(err instanceof ValidationError)) throw err;
    print(err.problems);
    return 1;
  }
  const all: Problem[] = [...config.warnings];
  for (const shop of config.shops) {
    const { playbook, problems } = loadPlaybooks(shop.playbooksDir);
    all.push(...problems);
    if (!playbook) continue;
    process.stdout.write(`shop ${shop.id}: ${playbook.rules.length} rules, ${playbook.intents.length} intents, ${playbook.responses.size} responses in ${playbook.files.length} files\n`);
    if (values.rules) {
      // The order staff must know: the first matching rule answers (unless it says continue).
      playbook.rules.forEach((r, i) => process.stdout.write(
        `  ${String(i + 1).padStart(3)}. [${r.priority}] ${r.name}${r.continue ? ' (continue)' : ''}  ${r.file}:${r.line}\n`));
    }
  }
  print(all);
  const errors = all.filter((p) => p.severity === 'error').length;
  process.stdout.write(errors ? `${errors} error(s) in the playbooks of ${path}\n` : `ok: ${path}\n`);
  if (errors) return 1;
  return values.live ? ((await checkLive(config, env)) ? 0 : 1) : 0;
}

/** Channels with nothing to ask ahead of time, and why. */
const NOTHING_TO_ASK: Partial<Record<string, string>> = {
  wecomKf: "uses the WeCom app's corpId and secret (the wecom line)",
};

/**
 * --live: each configured channel's platform is asked whether the credentials work (a fresh
 * access token; nothing is sent to anyone), so a mistyped secret shows up now rather than as
 * dead-lettered replies once customers write.
 */
async function checkLive(config: AppConfig, env: EnvOptions): Promise<boolean> {
  const http = createPlatformHttp();
  const tokens = createTokenCache(Date.now, 0);
  const log = createLogger('silent');
  let ok = true;
  let asked = 0;
  process.stdout.write('live check (asks each platform whether the credentials work; sends nothing):\n');
  for (const shop of config.shops) {
    for (const adapter of Object.values(adapters)) {
      const cfg = adapter.configOf(shop.channels);
      if (cfg === undefined || adapter.channel === 'local') continue;
      const label = `  ${shop.id} ${adapter.channel.padEnd(9)}`;
      asked += 1;
      if (!adapter.probe) {
        process.stdout.write(`${label}—       ${NOTHING_TO_ASK[adapter.channel] ?? 'nothing to ask ahead'}\n`);
        continue;
      }
      try {
        const what = await adapter.probe(cfg, { http, tokens, log, ...platformBases(env, adapter.channel), now: Date.now });
        process.stdout.write(`${label}ok      ${what}\n`);
      } catch (err) {
        ok = false;
        process.stdout.write(`${label}FAILED  ${withoutSecrets(err instanceof Error ? err.message : String(err), secretValues(cfg))}\n`);
      }
    }
  }
  if (asked === 0) process.stdout.write('  no platform channel is configured (only local): nothing to ask\n');
  return ok;
}

function print(problems: readonly Problem[]): void {
  for (const p of problems) (p.severity === 'error' ? process.stderr : process.stdout).write(`${formatProblem(p)}\n`);
}
