import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.js';
import { DEFAULT_PLAYBOOKS } from '../helpers/service.js';

function capture() {
  let out = '';
  let err = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((out += String(s)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((err += String(s)), true));
  return { get out() { return out; }, get err() { return err; } };
}

function shopDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'xiaoer-check-'));
  cpSync(DEFAULT_PLAYBOOKS, join(dir, 'playbooks'), { recursive: true });
  writeFileSync(join(dir, 'xiaoer.yml'), 'shops:\n  - id: acme\n    name: 阿克米\n    playbooks: ./playbooks\n    channels:\n      local: {}\n');
  return dir;
}

describe('xiaoer check', () => {
  afterEach(() => vi.restoreAllMocks());

  it('passes the default playbooks', async () => {
    const dir = shopDir();
    const io = capture();
    expect(await main(['check', '--config', join(dir, 'xiaoer.yml')])).toBe(0);
    expect(io.out).toMatch(/shop acme: \d+ rules/);
    expect(io.err).toBe('');
  });

  it('reports a broken playbook with file:line:col and exits 1', async () => {
    const dir = shopDir();
    const file = join(dir, 'playbooks', 'greeting.yml');
    const text = readFileSync(file, 'utf8');
    writeFileSync(file, text.replace('      - reply: greet-returning', '      - replly: greet-returning'));
    const line = text.split('\n').findIndex((l) => l.includes('- reply: greet-returning')) + 1;
    const io = capture();
    expect(await main(['check', '--config', join(dir, 'xiaoer.yml')])).toBe(1);
    expect(io.err).toMatch(new RegExp(`greeting\\.yml:${line}:9: error: rules\\.\\d+\\.then\\.0\\.replly: unknown field "replly"; allowed actions: reply, set`));
  });

  it('reports a config problem with its position', async () => {
    const dir = shopDir();
    writeFileSync(join(dir, 'xiaoer.yml'), 'shops:\n  - id: acme\n    name: 阿克米\n    chanels:\n      local: {}\n');
    const io = capture();
    expect(await main(['check', '--config', join(dir, 'xiaoer.yml')])).toBe(1);
    expect(io.err).toMatch(/xiaoer\.yml:4:5: error: shops\.0\.chanels: unknown field/);
  });
});
