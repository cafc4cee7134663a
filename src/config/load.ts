import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { PACKAGE_ROOT } from '../paths.js';
import { ValidationError } from '../errors.js';
import type { Problem } from '../errors.js';
import { configSchema } from './schema.js';
import type { AppConfig } from './schema.js';
import { interpolateEnv, protectEnvRefs, readYaml, zodProblems } from './yaml.js';
import { allFieldNames } from './fields.js';
import { configWarnings } from './warnings.js';

/** Shipped with the package: one shop "demo" on the local channel with the default playbooks. */
export const DEMO_CONFIG_PATH = join(PACKAGE_ROOT, 'config', 'demo.yml');
const DEFAULT_CONFIG_PATH = './xiaoer.yml';

/** Which file to read: XIAOER_CONFIG, else ./xiaoer.yml, else the built-in demo shop. */
export function resolveConfigPath(configured: string | undefined, cwd = process.cwd()): { path: string; demo: boolean } {
  if (configured) return { path: resolve(cwd, configured), demo: false };
  const local = resolve(cwd, DEFAULT_CONFIG_PATH);
  if (existsSync(local)) return { path: local, demo: false };
  return { path: DEMO_CONFIG_PATH, demo: true };
}

/** Parses, interpolates, validates and freezes the config; every problem carries file:line:col. */
export function loadConfig(file: string, env: Readonly<Record<string, string | undefined>> = process.env): AppConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ValidationError('CONFIG_INVALID', [{
      file, line: 0, col: 0, field: '', severity: 'error',
      message: `cannot read config file (${(err as NodeJS.ErrnoException).code ?? String(err)}); set XIAOER_CONFIG or create ./xiaoer.yml`,
    }]);
  }
  return parseConfig(file, text, env);
}

export function parseConfig(file: string, text: string, env: Readonly<Record<string, string | undefined>>): AppConfig {
  const protectedText = protectEnvRefs(text);
  const { yaml, problems } = readYaml(file, protectedText.text, allFieldNames(configSchema));
  const errors = problems.filter((p) => p.severity === 'error');
  if (errors.length) throw new ValidationError('CONFIG_INVALID', errors);
  const missing = interpolateEnv(yaml, protectedText.names, env);
  if (missing.length) throw new ValidationError('CONFIG_MISSING_ENV', missing);
  const parsed = configSchema.safeParse(yaml.doc.toJS());
  if (!parsed.success) throw new ValidationError('CONFIG_INVALID', zodProblems(yaml, parsed.error, [], configSchema));
  const base = dirname(file);
  const shops = parsed.data.shops.map((s) => deepFreeze({ ...s, playbooksDir: resolve(base, s.playbooks) }));
  return deepFreeze({ file, shops, outbox: parsed.data.outbox, retention: parsed.data.retention ?? null, warnings: configWarnings(yaml, shops) });
}

export function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

export type { Problem };
