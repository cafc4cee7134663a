import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parser } from '@prometheus-io/lezer-promql';
import { parse } from 'yaml';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { freshDatabaseUrl } from '../helpers/db.js';
import { startService } from '../helpers/service.js';

interface Rule { alert: string; expr: string; for?: string; annotations: { summary: string } }

/** ops/prometheus-alerts.yml only names metrics the service exports: a renamed metric must not leave an alert that can never fire. */
describe('the Prometheus alerting rules shipped in ops/', () => {
  it('parse as PromQL, and every xiaoer_ metric they use is one GET /metrics exports', async () => {
    const file = parse(readFileSync(join(PACKAGE_ROOT, 'ops', 'prometheus-alerts.yml'), 'utf8')) as { groups: { name: string; rules: Rule[] }[] };
    const rules = file.groups.flatMap((g) => g.rules);
    expect(rules.length).toBeGreaterThanOrEqual(6);
    for (const r of rules) {
      expect(r.alert).toMatch(/^Xiaoer[A-Za-z]+$/);
      expect(r.annotations.summary.length).toBeGreaterThan(20);
      if (r.for !== undefined) expect(r.for).toMatch(/^\d+[smh]$/);
    }
    // PromQL as Prometheus reads it (its own grammar): a rule that does not parse would stop the whole file loading.
    const syntaxError = (expr: string): number | null => {
      let at: number | null = null;
      parser.parse(expr).iterate({ enter: (n) => { if (n.type.isError && at === null) at = n.from; } });
      return at;
    };
    expect(rules.map((r) => [r.alert, syntaxError(r.expr)]).filter(([, at]) => at !== null)).toEqual([]);
    expect(syntaxError('rate(xiaoer_sends_total[5m) > 0')).not.toBeNull(); // the check can fail
    const used = new Set(rules.flatMap((r) => r.expr.match(/\bxiaoer_[a-z_]+/g) ?? []).map((m) => m.replace(/_(bucket|sum|count)$/, '')));
    expect(used).toContain('xiaoer_customer_longest_wait_seconds');

    const db = await freshDatabaseUrl('sqlite', join(mkdtempSync(join(tmpdir(), 'xiaoer-ops-')), 'x.db'));
    const svc = await startService({ databaseUrl: db.url });
    try {
      const metrics = await (await fetch(`${svc.url}/metrics`)).text();
      const exported = new Set([...metrics.matchAll(/^# TYPE (xiaoer_[a-z_]+) /gm)].map((m) => m[1]!));
      expect([...used].filter((name) => !exported.has(name))).toEqual([]);
    } finally {
      await svc.close();
      await db.cleanup();
    }
  });
});
