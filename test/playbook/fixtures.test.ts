import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runFixtures, uncovered } from '../../src/playbook/fixtures.js';
import { loadPlaybooks } from '../../src/playbook/load.js';
import { DEFAULT_PLAYBOOKS } from '../helpers/service.js';

const SHOP = { id: 'test', name: '测试店', timezone: 'Asia/Shanghai', businessHours: { from: '09:00', to: '23:00' } };
const playbook = loadPlaybooks(DEFAULT_PLAYBOOKS).playbook!;

describe('default playbook fixtures', () => {
  const run = runFixtures(DEFAULT_PLAYBOOKS, playbook, SHOP);

  it('are valid', () => {
    expect(run.problems).toEqual([]);
    expect(run.results.length).toBeGreaterThan(10);
  });

  it.each(run.results.map((r) => [r.name, r] as const))('%s', (_name, r) => {
    expect(r.failure ?? null).toBeNull();
  });

  it('cover every rule and the fallback', () => {
    expect(uncovered(playbook, run.fired)).toEqual([]);
  });
});

describe('the fixture runner', () => {
  it('fails a fixture whose bot line does not match, naming the line', () => {
    const dir = mkdtempSync(join(tmpdir(), 'xiaoer-fx-'));
    writeFileSync(join(dir, 'x.test.yml'), `- name: 错误期望\n  conversation:\n    - user: 你好\n    - bot: /赠品/\n`);
    const r = runFixtures(dir, playbook, SHOP, dir);
    expect(r.results).toEqual([expect.objectContaining({ ok: false, failure: expect.stringMatching(/^x\.test\.yml:4: expected bot \/赠品\/, got ".*欢迎/) })]);
  });

  it('reports a malformed fixture with its position', () => {
    const dir = mkdtempSync(join(tmpdir(), 'xiaoer-fx-'));
    writeFileSync(join(dir, 'x.test.yml'), `- name: 拼错\n  conversaton:\n    - user: 你好\n`);
    const r = runFixtures(dir, playbook, SHOP, dir);
    expect(r.problems).toContainEqual(expect.objectContaining({ file: 'x.test.yml', line: 2, col: 3, field: '0.conversaton' }));
  });
});
