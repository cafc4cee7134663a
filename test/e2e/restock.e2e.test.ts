import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.js';
import { findCustomer } from '../../src/db/customers.js';
import { listOutbox } from '../../src/db/outbox.js';
import { DEFAULT_PLAYBOOKS, startService, writeConfig } from '../helpers/service.js';
import type { TestService } from '../helpers/service.js';

describe('到货通知: staff switch the notice on and send it to the customers who asked', () => {
  let svc: TestService | undefined;
  afterEach(async () => {
    await svc?.close();
    vi.unstubAllEnvs();
    vi.restoreAllMocks();
  });

  it('records the request, refuses while switched off, then notifies once within the usual limits', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'xiaoer-restock-'));
    const playbooks = join(dir, 'playbooks');
    cpSync(DEFAULT_PLAYBOOKS, playbooks, { recursive: true });
    const config = writeConfig({ playbooks, businessHours: '{ from: "00:00", to: "00:00" }',
      extra: '    respect: { quietHours: { from: "03:00", to: "03:01" } }\n' });
    const databaseUrl = `sqlite:${join(dir, 'x.db')}`;
    svc = await startService({ databaseUrl, configFile: config, random: () => 0 });
    const say = async (user: string, text: string) =>
      (await (await fetch(`${svc!.url}/webhooks/local/acme`, { method: 'POST', body: JSON.stringify({ user, text }) })).json()) as { replies: { rule: string }[] };
    expect((await say('c1', '这款没货了？有货了告诉我')).replies.map((r) => r.rule)).toEqual(['到货登记']);
    expect((await findCustomer(svc.service.db.db, 'acme', 'local', 'c1'))!.tags).toEqual(['到货通知']);

    vi.stubEnv('DATABASE_URL', databaseUrl);
    vi.stubEnv('XIAOER_CONFIG', config);
    vi.stubEnv('ACME_FEISHU_SECRET', 'feishu-app-secret');
    let err = '';
    vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((err += String(s)), true));
    vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    expect(await main(['notify', '--shop', 'acme', '--rule', '到货通知', '--tag', '到货通知'])).toBe(1);
    expect(err).toMatch(/switched off: set enabled: true in .*restock\.yml:\d+/);

    const file = join(playbooks, 'restock.yml');
    writeFileSync(file, readFileSync(file, 'utf8').replace('    enabled: false\n', ''));
    expect(await main(['notify', '--shop', 'acme', '--rule', '到货通知', '--tag', '到货通知'])).toBe(0);
    expect(await main(['notify', '--shop', 'acme', '--rule', '到货通知', '--tag', '到货通知'])).toBe(0); // the same day again: one job
    await svc.close();
    svc = await startService({ databaseUrl, configFile: config, random: () => 0 });
    await svc.service.jobs.tick();
    await svc.service.worker.tick();
    const notices = (await listOutbox(svc.service.db.db, 'acme')).filter((r) => r.message.rule === '到货通知');
    expect(notices.map((r) => [r.state, r.message.proactive, r.message.text.slice(0, 8)])).toEqual([['sent', true, '亲，您关注的宝贝']]);
    expect((await findCustomer(svc.service.db.db, 'acme', 'local', 'c1'))!.tags).toEqual([]);
  });
});
