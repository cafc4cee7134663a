import { join } from 'node:path';
import { parseConfig } from '../src/config/load.js';
import type { AppConfig } from '../src/config/schema.js';
import { PACKAGE_ROOT } from '../src/paths.js';

export const BENCH_FEISHU = { appId: 'cli_bench', verificationToken: 'bench-token', encryptKey: 'bench-encrypt-key' } as const;

/** One shop on the default playbooks with a Feishu channel, always open (business hours do not change the work). */
export function benchFeishuConfig(): AppConfig {
  return parseConfig(join(PACKAGE_ROOT, 'bench', 'xiaoer.yml'), `shops:
  - id: bench
    name: 压测店
    businessHours: { from: "00:00", to: "00:00" }
    playbooks: ../playbooks
    channels:
      feishu: { appId: ${BENCH_FEISHU.appId}, appSecret: x, verificationToken: ${BENCH_FEISHU.verificationToken}, encryptKey: ${BENCH_FEISHU.encryptKey} }
`, {});
}
