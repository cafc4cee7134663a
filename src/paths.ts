import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The package's root directory, whether running compiled (dist/src/…) or from source
 * under vitest/tsx (src/…): shipped files (config/demo.yml, playbooks/) are found from here.
 */
export const PACKAGE_ROOT: string = (() => {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('xiaoer: package.json not found above ' + fileURLToPath(import.meta.url));
    dir = up;
  }
  return dir;
})();
