import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadPlaybooks } from '../../src/playbook/load.js';
import { DEFAULT_PLAYBOOKS } from '../helpers/service.js';

function dirWith(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'xiaoer-pb-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

const BASE = `rules:
  - name: 问候
    when:
      keywords: [你好]
    then:
      - reply: hello
responses:
  hello:
    - 亲，欢迎光临{{shop.name}}
fallback:
  reply: hello
`;

describe('playbook loading', () => {
  it('loads the shipped default playbooks without problems', () => {
    const { playbook, problems } = loadPlaybooks(DEFAULT_PLAYBOOKS);
    expect(problems).toEqual([]);
    expect(playbook!.rules.length).toBeGreaterThanOrEqual(5);
    expect(playbook!.rules[0]!.name).toBe('下班时间提醒'); // highest priority first
  });

  it('reports a typo\'d field with file, line and column', () => {
    const dir = dirWith({ 'a.yml': BASE.replace('    when:', '    wehn:') });
    const { playbook, problems } = loadPlaybooks(dir, dir);
    expect(playbook).toBeNull();
    expect(problems[0]).toMatchObject({ file: 'a.yml', line: 3, col: 5, field: 'rules.0.wehn' });
  });

  it('reports unknown responses, unknown variables, bad regexes and duplicates', () => {
    const dir = dirWith({
      'a.yml': BASE.replace('reply: hello\nresponses', 'reply: helo\nresponses').replace('{{shop.name}}', '{{shop.nmae}}'),
      'b.yml': `rules:\n  - name: 问候\n    when: { regex: ["(unclosed"] }\n    then: [{ reply: hello }]\n`,
    });
    const { problems } = loadPlaybooks(dir, dir);
    const text = problems.map((p) => `${p.file}:${p.line} ${p.message}`);
    expect(text).toEqual(expect.arrayContaining([
      expect.stringMatching(/^a\.yml:6 unknown response "helo"; defined: hello/),
      expect.stringMatching(/^a\.yml:9 unknown template variable \{\{shop\.nmae\}\}; allowed: shop\.name/),
      expect.stringMatching(/^b\.yml:3 invalid regular expression/),
      expect.stringMatching(/^b\.yml:2 rule name "问候" is already used at a\.yml:2/),
    ]));
  });

  it('skips conversation fixtures (*.test.yml) and warns when there is no fallback', () => {
    const dir = dirWith({ 'a.yml': BASE.replace(/fallback:\n {2}reply: hello\n/, ''), 'a.test.yml': 'not: [a playbook' });
    const { playbook, problems } = loadPlaybooks(dir, dir);
    expect(playbook).not.toBeNull();
    expect(problems).toEqual([expect.objectContaining({ severity: 'warning', field: 'fallback' })]);
  });
});
