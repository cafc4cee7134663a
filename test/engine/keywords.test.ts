import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { keywordsMatch, rulesWithKeywordsIn } from '../../src/engine/keywords.js';
import { normalize } from '../../src/nlu/normalize.js';
import { findPhrases } from '../../src/playbook/compiled.js';
import { loadPlaybooks } from '../../src/playbook/load.js';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { DEFAULT_PLAYBOOKS } from '../helpers/service.js';

describe('rule keywords found in one pass over the message', () => {
  const dir = mkdtempSync(join(tmpdir(), 'xiaoer-keywords-'));
  cpSync(DEFAULT_PLAYBOOKS, dir, { recursive: true });
  // Keywords that overlap, share first characters, sit inside longer words, or are Latin.
  writeFileSync(join(dir, 'zz-keywords.yml'), `rules:
  - { name: kw-人工, when: { keywords: [人工] }, then: [{ reply: k }] }
  - { name: kw-发票, when: { keywords: [发票, 开票] }, then: [{ reply: k }] }
  - { name: kw-发货, when: { keywords: [发货, 发] }, then: [{ reply: k }] }
  - { name: kw-卫衣起球, when: { keywords: [卫衣起球, 卫衣] }, then: [{ reply: k }] }
  - { name: kw-英文, when: { keywords: [invoice, 开发票] }, then: [{ reply: k }] }
  - { name: kw-同义, when: { keywords: [快递] }, then: [{ reply: k }] }
responses:
  k: [好的]
`);
  const loaded = loadPlaybooks(dir);
  const playbook = loaded.playbook!;
  const texts = [
    ...readFileSync(join(PACKAGE_ROOT, 'test', 'fixtures', 'utterances.jsonl'), 'utf8').split('\n').filter(Boolean)
      .map((l) => (JSON.parse(l) as { text: string }).text),
    '人工智能是什么', '我要人工', '开发票', '能开票吗 invoice please', '卫衣起球了', '这件卫衣', '发了吗', '什么时候发货',
  ];

  it('agrees with searching each rule\'s keywords, on every labelled message', () => {
    expect(loaded.problems.filter((p) => p.severity === 'error')).toEqual([]);
    const withKeywords = playbook.rules.filter((r) => r.keywords);
    let hits = 0;
    for (const text of texts) {
      const n = normalize(text);
      const present = rulesWithKeywordsIn(playbook, n);
      for (const rule of withKeywords) {
        const expected = findPhrases(rule.keywords!, n, false).length > 0;
        expect([text, rule.name, keywordsMatch(rule, n, present)]).toEqual([text, rule.name, expected]);
        if (expected) hits += 1;
      }
    }
    expect(hits).toBeGreaterThan(20); // the comparison saw matches, not only misses
  });
});
