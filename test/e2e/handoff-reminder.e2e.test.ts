import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DIALECTS, freshDatabaseUrl } from '../helpers/db.js';
import { DEFAULT_PLAYBOOKS, localChat, startService, writeConfig } from '../helpers/service.js';
import type { TestService } from '../helpers/service.js';

const PASSWORD = 'desk-password-0123';
const START = Date.parse('2026-11-27T11:00:00+08:00');
const MIN = 60_000;

/** Staff are reminded of a handed-over customer nobody answered, once, and not of those a person has. */
describe.each(DIALECTS)('handoff reminders (%s)', (dialect) => {
  let svc: TestService;
  let db: { url: string; cleanup(): Promise<void> };
  let clock: number;

  async function start(playbooks = DEFAULT_PLAYBOOKS) {
    const configFile = writeConfig({ playbooks, extra: `    desk: { password: ${PASSWORD} }\n`, businessHours: '{ from: "09:00", to: "23:00" }' });
    svc = await startService({ databaseUrl: db.url, now: () => new Date(clock), random: () => 0, configFile });
  }
  beforeEach(async () => {
    clock = START;
    db = await freshDatabaseUrl(dialect, join(mkdtempSync(join(tmpdir(), 'xiaoer-remind-')), 'x.db'));
  });
  afterEach(async () => {
    await svc.close();
    await db.cleanup();
  });

  const chat = (user: string, text: string) => localChat(svc.url, user, text);
  const deskPost = async (user: string, action: string, body: unknown = {}) => {
    const c = await svc.service.db.db.selectFrom('conversations').select('id').where('key', '=', `local:${user}:${user}`).executeTakeFirstOrThrow();
    const res = await fetch(`${svc.url}/desk/acme/api/conversations/${c.id}/${action}`, {
      method: 'POST', body: JSON.stringify(body),
      headers: { authorization: `Basic ${Buffer.from(`小王:${PASSWORD}`).toString('base64')}`, 'content-type': 'application/json', 'x-xiaoer-desk': '1' },
    });
    expect(res.status).toBeLessThan(300);
  };
  const reminders = async () => (await svc.service.db.db.selectFrom('alerts').select(['conversation_key', 'text', 'transcript'])
    .where('kind', '=', 'handoff_waiting').orderBy('id').execute());

  it('reminds once of the customer nobody took or answered, five minutes after the handoff', async () => {
    await start();
    await svc.service.handoffs.tick(true); // the first sweep starts from now
    clock += MIN;
    for (const user of ['waiting', 'answered', 'taken', 'released']) await chat(user, '转人工');
    clock += MIN;
    await deskPost('answered', 'reply', { text: '亲，我在' });
    await deskPost('taken', 'take');
    await deskPost('released', 'release');

    clock += 3 * MIN; // 4 minutes after the handoffs: not yet
    await svc.service.handoffs.tick(true);
    expect(await reminders()).toEqual([]);

    clock += 2 * MIN; // 6 minutes
    expect(await svc.service.handoffs.tick(true)).toBe(1);
    const [r] = await reminders();
    expect(r!.conversation_key).toBe('local:waiting:waiting');
    expect(r!.text).toContain('转人工已超过 5 分钟，还没有人回复。请尽快在接待台 /desk/acme 回复');
    expect(JSON.parse(r!.transcript)).toContainEqual({ who: 'customer', text: '转人工' });

    clock += 10 * MIN;
    await svc.service.handoffs.tick(true);
    await svc.close();
    await start(); // a restart does not remind again: the sweep's cursor is stored
    await svc.service.handoffs.tick(true);
    expect(await reminders()).toHaveLength(1);
  });

  it('reminds of a handoff made while the shop was closed five minutes after it opens, not in the night', async () => {
    clock = Date.parse('2026-11-27T23:20:00+08:00'); // open 09:00–23:00
    await start();
    await svc.service.handoffs.tick(true);
    await chat('night', '转人工');
    clock += 30 * MIN;
    expect(await svc.service.handoffs.tick(true)).toBe(0);
    clock = Date.parse('2026-11-28T09:03:00+08:00'); // open, but not for five minutes yet
    expect(await svc.service.handoffs.tick(true)).toBe(0);
    clock = Date.parse('2026-11-28T09:05:00+08:00');
    expect(await svc.service.handoffs.tick(true)).toBe(1); // still with a person: the bot did not take it back at 01:20
    expect((await reminders())[0]!.conversation_key).toBe('local:night:night');
    const asked = (await (await chat('night', '在吗')).json()) as { replies: { rule: string }[] };
    expect(asked.replies.map((r) => r.rule)).toEqual(['等待人工-催促']);
  });

  it('sweeps at most every 30 seconds from the clock tick', async () => {
    await start();
    await svc.service.handoffs.tick();
    await chat('waiting', '转人工');
    clock += 5 * MIN - 10_000;
    expect(await svc.service.handoffs.tick()).toBe(0); // swept: not due yet
    clock += 20_000;
    expect(await svc.service.handoffs.tick()).toBe(0); // due, but the last sweep was 20 s ago
    clock += 20_000;
    expect(await svc.service.handoffs.tick()).toBe(1);
  });

  it('never reminds when the playbook says 0', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'xiaoer-pb-')), 'playbooks');
    cpSync(DEFAULT_PLAYBOOKS, dir, { recursive: true });
    const intents = join(dir, 'intents.yml');
    writeFileSync(intents, readFileSync(intents, 'utf8').replace('remindStaffAfterMinutes: 5', 'remindStaffAfterMinutes: 0'));
    await start(dir);
    expect(svc.service.playbooks.get('acme').settings.handoff.remindStaffAfterMinutes).toBe(0);
    await svc.service.handoffs.tick();
    await chat('waiting', '转人工');
    clock += 60 * MIN;
    await svc.service.handoffs.tick();
    expect(await svc.service.handoffs.tick()).toBe(0);
    expect(await reminders()).toEqual([]);
  });
});
