import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { listAlerts } from '../../src/db/alerts.js';
import { releaseHandoff } from '../../src/db/desk.js';
import { DIALECTS, freshDatabaseUrl } from '../helpers/db.js';
import { DEFAULT_PLAYBOOKS, startService, writeConfig } from '../helpers/service.js';
import type { TestService } from '../helpers/service.js';
import { waitFor } from '../helpers/wait.js';

const DAY = 86_400_000;
const NOON = Date.parse('2026-11-27T04:00:00Z'); // 12:00 in Shanghai

interface LocalAnswer {
  replies: { text: string; rule: string; response: string }[];
  understood: { intent: string | null; bargainer: string | null; guessed?: number };
}

describe.each(DIALECTS)('playbooks through POST /webhooks/local on %s', (dialect) => {
  let svc: TestService;
  let clock: number;
  let cleanup: () => Promise<void>;
  let playbooks: string;

  beforeEach(async () => {
    clock = NOON;
    playbooks = join(mkdtempSync(join(tmpdir(), 'xiaoer-pb-')), 'playbooks');
    cpSync(DEFAULT_PLAYBOOKS, playbooks, { recursive: true });
    const db = await freshDatabaseUrl(dialect);
    cleanup = db.cleanup;
    svc = await startService({
      databaseUrl: db.url, configFile: writeConfig({ playbooks, businessHours: '{ from: "09:00", to: "23:00" }' }),
      now: () => new Date(clock), watch: true,
    });
  });
  afterEach(async () => {
    await svc.close();
    await cleanup();
  });

  async function say(user: string, text: string): Promise<LocalAnswer> {
    const res = await fetch(`${svc.url}/webhooks/local/acme`, { method: 'POST', body: JSON.stringify({ user, text }) });
    expect(res.status).toBe(200);
    return (await res.json()) as LocalAnswer;
  }
  const rules = (a: LocalAnswer) => a.replies.map((r) => r.rule);

  it('greets a first-time and a returning customer differently', async () => {
    expect(rules(await say('old', '你好'))).toEqual(['新客户问候']);
    clock += 3 * DAY;
    const again = await say('old', '你好');
    expect(rules(again)).toEqual(['老客户问候']);
    expect(rules(await say('new', '你好'))).toEqual(['新客户问候']);
  });

  it('walks three bargaining rounds with different texts, never naming a discount', async () => {
    const answers = [await say('b1', '能便宜点吗'), await say('b1', '能便宜点吗'), await say('b1', '能便宜点吗')];
    expect(answers.map(rules)).toEqual([['议价-第一轮'], ['议价-第二轮-搭配'], ['议价-第三轮']]);
    const texts = answers.map((a) => a.replies[0]!.text);
    expect(new Set(texts).size).toBe(3);
    expect(texts[2]).toMatch(/转人工/);
    for (const t of texts) expect(t).not.toMatch(/\d+\s*折|打折|减\s*\d+|优惠\s*\d+/);
    expect(answers[0]!.understood).toEqual({ intent: 'bargain', bargainer: null });
  });

  it('says when an answer was a guess: the intent taken from likeness to examples, no phrase matching', async () => {
    const slip = await say('g1', '么时候发货呀');
    expect(rules(slip)).toEqual(['发货时间']);
    expect(slip.understood).toEqual({ intent: 'faq.shipping_time', bargainer: null, guessed: expect.any(Number) });
    expect(slip.understood.guessed!).toBeGreaterThanOrEqual(0.55);
    expect((await say('g2', '什么时候发货')).understood).toEqual({ intent: 'faq.shipping_time', bargainer: null });
  });

  it('answers 我是学生没钱 in the sympathy style', async () => {
    const a = await say('s1', '我是学生没钱');
    expect(a.understood).toEqual({ intent: 'bargain', bargainer: 'sympathy' });
    expect(rules(a)).toEqual(['议价-第一轮-同情型']);
    expect(a.replies[0]!.text).toMatch(/理解/);
  });

  it('转人工 hands off: staff alerted with the transcript, then the bot stays silent until released', async () => {
    await say('h1', '你好');
    const a = await say('h1', '转人工');
    expect(rules(a)).toEqual(['转人工-工作时间']);
    expect((await say('h1', '顺便问下能开发票吗')).replies).toEqual([]);
    const [alert] = await listAlerts(svc.service.db.db, 'acme');
    expect(alert).toMatchObject({ kind: 'handoff', conversationKey: 'local:h1:h1' });
    expect(alert!.text).toMatch(/转人工.*h1/);
    expect(alert!.transcript.map((t) => t.who + ':' + t.text.slice(0, 3))).toEqual(['customer:你好', expect.stringMatching(/^bot:/), 'customer:转人工', expect.stringMatching(/^bot:/)]);
    expect(await releaseHandoff(svc.service.db.db, 'acme', 'local:h1:h1', clock)).toMatchObject({ channel: 'local', userId: 'h1' });
    expect(rules(await say('h1', '你好'))).toEqual(['问候-再次']); // welcomed minutes ago: 在的亲～
    expect(rules(await say('h1', '你们老板养猫吗'))).toEqual(['(fallback)']);
    expect(rules(await say('h1', '么时候发货呀'))).toEqual(['发货时间']); // 什 slipped: answered by likeness
    const metrics = await (await fetch(`${svc.url}/metrics`)).text();
    const count = (outcome: string) => Number(new RegExp(`^xiaoer_messages_total\\{shop="acme",outcome="${outcome}"\\} (\\d+)$`, 'm').exec(metrics)?.[1] ?? 0);
    expect(['answered', 'handoff', 'silent', 'fallback', 'guessed'].map(count)).toEqual([2, 1, 1, 1, 1]);
  });

  it('hot-reloads an edit, and keeps the last good version when an edit is broken', async () => {
    const file = join(playbooks, 'quick-replies.yml');
    const original = readFileSync(file, 'utf8');
    writeFileSync(file, original.replace('亲，可以开发票的～', '亲，开票没问题～'));
    await waitFor(async () => (await say('r1', '发票')).replies.some((r) => r.text.startsWith('亲，开票没问题')));

    writeFileSync(file, original.replace('    when: { intent: faq.invoice }', '    wehn: { intent: faq.invoice }'));
    await waitFor(async () => (await listAlerts(svc.service.db.db, 'acme')).some((x) => x.kind === 'playbook_rejected'));
    const [alert] = await listAlerts(svc.service.db.db, 'acme');
    expect(alert!.text).toMatch(/quick-replies\.yml:\d+:\d+: error: rules\.\d+\.wehn: unknown field/);
    expect(svc.logs.text).toContain('playbook edit rejected');
    const still = await say('r2', '发票');
    expect(still.replies.map((r) => r.rule)).toEqual(['发票']);

    // Saved again, still broken: rejected again, but staff are not told twice.
    writeFileSync(file, `${readFileSync(file, 'utf8')}\n`);
    await waitFor(async () => svc.logs.text.split('playbook edit rejected').length === 3);
    await new Promise((r) => setTimeout(r, 300)); // the alert would be recorded just after the log line
    expect((await listAlerts(svc.service.db.db, 'acme')).filter((x) => x.kind === 'playbook_rejected')).toHaveLength(1);
  });
});
