import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ShopConfig } from '../../src/config/schema.js';
import { createLogger } from '../../src/log.js';
import type { CompiledPlaybook } from '../../src/playbook/compiled.js';
import { createPlaybookStore } from '../../src/playbook/store.js';

const PLAYBOOK = `rules:
  - name: 问候
    when: { keywords: [你好] }
    then: [{ reply: hello }]
responses:
  hello: [亲，您好]
fallback: { reply: hello }
`;

describe('playbook store', () => {
  it('tells of each version that starts serving (so work such as the 您是想问 index happens then), never of a rejected edit', () => {
    const dir = mkdtempSync(join(tmpdir(), 'xiaoer-store-'));
    writeFileSync(join(dir, 'a.yml'), PLAYBOOK);
    const shop = { id: 'acme', playbooksDir: dir } as ShopConfig;
    const loaded: [string, CompiledPlaybook][] = [];
    const store = createPlaybookStore([shop], createLogger('silent'), (id, p) => loaded.push([id, p]));
    expect(loaded).toEqual([['acme', store.get('acme')]]);

    writeFileSync(join(dir, 'a.yml'), PLAYBOOK.replace('亲，您好', '亲，您好呀'));
    expect(store.reload('acme')).toEqual([]);
    expect(loaded).toHaveLength(2);
    expect(loaded[1]![1]).toBe(store.get('acme'));

    writeFileSync(join(dir, 'a.yml'), PLAYBOOK.replace('when:', 'wehn:'));
    expect(store.reload('acme').length).toBeGreaterThan(0);
    expect(loaded).toHaveLength(2); // the previous version keeps serving
  });
});
