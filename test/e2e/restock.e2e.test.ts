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

  it('a delay: staff switch the apology on and send it to the customers of the named orders, once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'xiaoer-crisis-'));
    const playbooks = join(dir, 'playbooks');
    cpSync(DEFAULT_PLAYBOOKS, playbooks, { recursive: true });
    const file = join(playbooks, 'orders.yml');
    writeFileSync(file, readFileSync(file, 'utf8').replace("  - name: 发货延迟致歉\n    enabled: false\n", '  - name: 发货延迟致歉\n'));
    const config = writeConfig({ playbooks, businessHours: '{ from: "00:00", to: "00:00" }',
      extra: '    respect: { quietHours: { from: "03:00", to: "03:01" } }\n' });
    const databaseUrl = `sqlite:${join(dir, 'x.db')}`;
    vi.stubEnv('DATABASE_URL', databaseUrl);
    vi.stubEnv('XIAOER_CONFIG', config);
    vi.stubEnv('ACME_FEISHU_SECRET', 'feishu-app-secret');
    let out = '';
    let err = '';
    vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((out += String(s)), true));
    vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((err += String(s)), true));
    const at = new Date(Date.now() - 3_600_000).toISOString();
    const order = (id: string, user: string, type: string) => JSON.stringify({ id: `${id}-${type}`, type, occurredAt: at,
      order: { id, customer: { channel: 'local', userId: user }, items: [{ title: '羊毛围巾', qty: 1, price: 129 }], total: 129 } });
    const events = join(dir, 'events.jsonl');
    writeFileSync(events, [order('D1', 'u1', 'order.paid'), order('D2', 'u2', 'order.paid'), order('D3', 'u3', 'order.shipped')].join('\n'));
    expect(await main(['orders', 'import', events, '--shop', 'acme'])).toBe(0);

    expect(await main(['notify', '--shop', 'acme', '--rule', '发货延迟致歉', '--orders', 'D1,D2 D3，D9'])).toBe(0);
    expect(out).toMatch(/发货延迟致歉: 3 notice\(s\) queued for the customers of 3 order\(s\)/);
    expect(err).toMatch(/not found in shop acme, skipped: D9/);
    const ids = join(dir, 'delayed.txt');
    writeFileSync(ids, 'D1\nD2\n');
    expect(await main(['notify', '--shop', 'acme', '--rule', '发货延迟致歉', '--orders-file', ids])).toBe(0); // the same day again: no second job
    expect(await main(['notify', '--shop', 'acme', '--rule', '发货延迟致歉', '--tag', 'x', '--orders', 'D1'])).toBe(1);
    expect(err).toMatch(/usage: xiaoer notify/);

    svc = await startService({ databaseUrl, configFile: config, random: () => 0 });
    await svc.service.jobs.tick();
    await svc.service.worker.tick();
    const sent = (await listOutbox(svc.service.db.db, 'acme')).filter((r) => r.message.rule === '发货延迟致歉');
    // D3 has shipped: the apology's conditions no longer hold for it.
    expect(sent.map((r) => [r.state, r.message.customerId, r.message.text.slice(0, 17)]).sort()).toEqual([
      ['sent', 'u1', '亲，非常抱歉！您的订单「羊毛围巾」'], ['sent', 'u2', '亲，非常抱歉！您的订单「羊毛围巾」'],
    ]);
  });
});
