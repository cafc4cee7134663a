import { cpSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { parse } from 'yaml';
import { main } from '../../src/cli/main.js';
import { recordLesson } from '../../src/db/lessons.js';
import { DIALECTS, freshDatabaseUrl } from '../helpers/db.js';
import { DEFAULT_PLAYBOOKS, FEISHU, localChat, startService, writeConfig } from '../helpers/service.js';
import type { TestService } from '../helpers/service.js';
import { waitFor } from '../helpers/wait.js';

const PASSWORD = 'desk-password-0123';
const START = Date.parse('2026-11-27T11:00:00+08:00');
const basic = `Basic ${Buffer.from(`小王:${PASSWORD}`, 'utf8').toString('base64')}`;

interface Lesson { intent: string; label: string; text: string; as: string; staff: string; state: string; detail: string | null; inEffect?: boolean }
interface Msg { id: number; direction: string; text: string; guess: { intent: string } | null; lesson: Lesson | null }
interface Reply { text: string; rule: string | null }

/**
 * Teaching the bot at the desk (教机器人), the whole loop: staff confirm or correct what the bot
 * made of customers' messages, `xiaoer teach --from-desk` puts the lessons in the shop's playbook
 * files, the running service reloads them, and the next customer who says the same is answered.
 */
describe.each(DIALECTS)('teaching the bot at the desk (%s)', (dialect) => {
  let svc: TestService;
  let db: { url: string; cleanup(): Promise<void> };
  let playbooks: string;
  let configFile: string;
  let out = '';
  let err = '';
  let clock = START;

  beforeEach(async () => {
    out = '';
    err = '';
    clock = START;
    playbooks = mkdtempSync(join(tmpdir(), 'xiaoer-teach-desk-'));
    cpSync(DEFAULT_PLAYBOOKS, playbooks, { recursive: true });
    db = await freshDatabaseUrl(dialect, join(mkdtempSync(join(tmpdir(), 'xiaoer-teach-db-')), 'x.db'));
    configFile = writeConfig({ playbooks, extra: `    desk: { password: ${PASSWORD} }\n`, businessHours: '{ from: "09:00", to: "23:00" }' });
    svc = await startService({ databaseUrl: db.url, now: () => new Date(clock), random: () => 0, configFile, watch: true });
    vi.stubEnv('DATABASE_URL', db.url);
    vi.stubEnv('XIAOER_CONFIG', configFile);
    vi.stubEnv('ACME_FEISHU_SECRET', FEISHU.appSecret);
    vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((out += String(s)), true));
    vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((err += String(s)), true));
  });
  afterEach(async () => {
    vi.unstubAllEnvs();
    vi.restoreAllMocks();
    await svc.close();
    await db.cleanup();
  });

  const say = async (user: string, text: string) => {
    const res = await localChat(svc.url, user, text);
    expect(res.status).toBe(200);
    return ((await res.json()) as { replies: Reply[] }).replies;
  };
  const desk = (path: string, o: { method?: string; body?: unknown; csrf?: boolean; type?: string } = {}) => fetch(`${svc.url}/desk/acme/api${path}`, {
    method: o.method ?? (o.body === undefined ? 'GET' : 'POST'),
    headers: {
      authorization: basic,
      ...(o.body !== undefined ? { 'content-type': o.type ?? 'application/json' } : {}),
      ...(o.csrf === false ? {} : { 'x-xiaoer-desk': '1' }),
    },
    ...(o.body !== undefined ? { body: typeof o.body === 'string' ? o.body : JSON.stringify(o.body) } : {}),
  });
  async function transcriptOf(user: string): Promise<Msg[]> {
    const conv = await svc.service.db.db.selectFrom('conversations').select('id').where('key', '=', `local:${user}:${user}`).executeTakeFirstOrThrow();
    return ((await (await desk(`/conversations/${conv.id}`)).json()) as { messages: Msg[] }).messages;
  }
  const said = async (user: string, text: string) => (await transcriptOf(user)).find((m) => m.direction === 'in' && m.text === text)!;
  const teach = (id: number, body: unknown, o: { csrf?: boolean; type?: string } = {}) => desk(`/messages/${id}/lesson`, { body, ...o });
  const lessonRows = async () => svc.service.db.db.selectFrom('lessons').selectAll().orderBy('id').execute();
  const file = (name: string) => readFileSync(join(playbooks, name), 'utf8');

  it('staff confirm a guess, name the question of a message the bot missed, and after teach --from-desk the bot answers them', async () => {
    await say('u1', '么时候发货呀'); // guessed as 什么时候发货 (a slip of the keys)
    await say('u2', '你们一般几天寄'); // not understood
    await say('u3', '价格再美丽一点'); // not understood: haggling, an intent with no ask

    const { questions } = (await (await desk('/questions')).json()) as { questions: { intent: string; label: string }[] };
    expect(questions).toContainEqual({ intent: 'faq.shipping_time', label: '什么时候发货？' });
    expect(questions.find((q) => q.intent === 'bargain')!.label).toMatch(/^bargain（如：.+）$/); // no ask: its phrases say what it is

    const guessed = await said('u1', '么时候发货呀');
    expect(guessed.guess!.intent).toBe('faq.shipping_time');
    expect(guessed.lesson).toBeNull();
    // 猜对了: the guess confirmed becomes a phrase (answered for certain from now on).
    const confirmed = await teach(guessed.id, { intent: 'faq.shipping_time', text: '么时候发货呀' });
    expect(confirmed.status).toBe(201);
    expect(((await confirmed.json()) as { lesson: Lesson }).lesson).toMatchObject({ intent: 'faq.shipping_time', label: '什么时候发货？', as: 'phrase', staff: '小王', state: 'waiting' });
    // A miss taught under a question the bot offers becomes an example (like wordings are answered too) …
    // (staff first took it for 催发货 — a request handled by a person, so only a phrase — then changed their mind:
    // the latest word counts, still one lesson on the message).
    const missed = await said('u2', '你们一般几天寄');
    expect(((await (await teach(missed.id, { intent: 'faq.urge_shipping' })).json()) as { lesson: Lesson }).lesson)
      .toMatchObject({ text: '你们一般几天寄', as: 'phrase' }); // the text defaults to the customer's words
    expect((await teach(missed.id, { intent: 'faq.shipping_time', text: '你们一般几天寄' })).status).toBe(201);
    // An intent that is never offered or guessed (haggling) can only learn a phrase.
    const haggle = await said('u3', '价格再美丽一点');
    expect((await teach(haggle.id, { intent: 'bargain', text: '价格再美丽一点' })).status).toBe(201);

    expect((await lessonRows()).map((l) => [l.text, l.intent, l.teach_as, l.settled_at])).toEqual([
      ['么时候发货呀', 'faq.shipping_time', 'phrase', null], ['你们一般几天寄', 'faq.shipping_time', 'example', null], ['价格再美丽一点', 'bargain', 'phrase', null],
    ]);
    expect((await said('u2', '你们一般几天寄')).lesson).toMatchObject({ intent: 'faq.shipping_time', label: '什么时候发货？', as: 'example', state: 'waiting' });
    expect(await (await fetch(`${svc.url}/metrics`)).text()).toMatch(/^xiaoer_desk_actions_total\{shop="acme",action="teach"\} 4$/m);

    // A dry run lists them and changes nothing.
    const before = file('intents.yml') + file('examples.yml');
    expect(await main(['teach', '--shop', 'acme', '--from-desk', '--dry-run'])).toBe(0);
    expect(out).toContain(`3 lesson(s) taught at acme's desk wait to be added to ${playbooks}:\n`);
    expect(out).toMatch(/#\d+ 小王, 2026-11-27 11:00: "你们一般几天寄" → faq.shipping_time \(an example/);
    expect(file('intents.yml') + file('examples.yml')).toBe(before);
    expect((await lessonRows()).every((l) => l.settled_at === null)).toBe(true);

    out = '';
    expect(await main(['teach', '--shop', 'acme', '--from-desk'])).toBe(0);
    expect(out).toContain('3 added, 0 already there, 0 refused');
    expect(out).toContain('now: "么时候发货呀" is understood as faq.shipping_time');
    const intents = (parse(file('intents.yml')) as { intents: Record<string, { phrases: string[] }> }).intents;
    expect(intents['faq.shipping_time']!.phrases).toContain('么时候发货呀');
    expect(intents.bargain!.phrases).toContain('价格再美丽一点');
    expect((parse(file('examples.yml')) as { examples: Record<string, string[]> }).examples['faq.shipping_time']).toContain('你们一般几天寄');
    const settled = await lessonRows();
    expect(settled.map((l) => l.outcome)).toEqual(['added', 'added', 'added']);
    for (const [user, text] of [['u1', '么时候发货呀'], ['u2', '你们一般几天寄'], ['u3', '价格再美丽一点']] as const) {
      await waitFor(async () => (await said(user, text)).lesson?.inEffect === true); // the service reloads the files by itself
    }
    expect(settled[1]!.detail).toMatch(/examples\.yml:\d+$/);
    // The desk shows it is in the playbooks now.
    expect((await said('u2', '你们一般几天寄')).lesson).toMatchObject({ state: 'added', detail: settled[1]!.detail });
    // Nothing is left to add; an added lesson cannot be taken back at the desk (it is in the files).
    out = '';
    expect(await main(['teach', '--shop', 'acme', '--from-desk'])).toBe(0);
    expect(out).toBe('nothing taught at acme\'s desk waits to be added\n');
    expect((await desk(`/messages/${missed.id}/lesson`, { method: 'DELETE' })).status).toBe(404);

    // The running service reloads the files: the next customers saying the same are answered.
    let tries = 0; // a new customer each time: two misses in a row would hand one over
    await waitFor(async () => {
      const replies = await say(`n1-${++tries}`, '价格再美丽一点');
      return replies.length > 0 && replies.every((r) => r.rule !== '(fallback)');
    });
    const when = await say('n2', '你们一般几天寄');
    expect(when.map((r) => r.rule)).not.toContain('(fallback)');
    const sure = await say('n3', '么时候发货呀');
    expect(sure.map((r) => r.rule)).not.toContain('(fallback)');
    expect((await said('n3', '么时候发货呀')).guess).toBeNull(); // a phrase now: no longer a guess for staff to check
  });

  it('lists the week\'s guessed and not-understood questions (待核对), each once, latest first, until one is taught', async () => {
    await say('old', '你们一般几天寄'); // eight days ago: out of the list
    clock += 8 * 86_400_000;
    await say('u1', '你们一般几天寄');
    clock += 60_000;
    await say('u2', '你们一般几天寄？'); // the same question, whatever the punctuation
    clock += 60_000;
    await say('u3', '么时候发货呀'); // guessed
    await say('u4', '什么时候发货'); // a phrase: nothing to check
    clock += 60_000;
    await say('u5', '你们发什么快递'); // answered …
    clock += 60_000;
    await say('u5', '答非所问'); // … and the customer says the answer missed
    await say('u6', '你们发什么快递');
    clock += 31 * 60_000;
    await say('u6', '你说的什么啊'); // half an hour later: about something else (a reminder, say), not that answer
    type Listed = {
      total: number;
      questions: { reason: string; messageId: number; conversationId: number; text: string; count: number; guess: { intent: string; ask?: string } | null; answeredBy: string[]; customer: { userId: string } }[];
    };
    const listed = async () => (await (await desk('/to-teach')).json()) as Listed;
    expect(await (await fetch(`${svc.url}/metrics`)).text()).toMatch(/^xiaoer_messages_total\{shop="acme",outcome="misread"\} 2$/m);
    const first = await listed();
    expect(first.total).toBe(3);
    expect(first.questions.map((q) => [q.reason, q.text, q.count, q.guess?.ask ?? null, q.answeredBy, q.customer.userId])).toEqual([
      ['misread', '你们发什么快递', 1, null, ['快递公司'], 'u5'], ['guessed', '么时候发货呀', 1, '什么时候发货？', [], 'u3'], ['missed', '你们一般几天寄？', 2, null, [], 'u2'],
    ]);
    // What a phrase already reads can only be changed by a phrase: taught so.
    const misread = await teach(first.questions[0]!.messageId, { intent: 'faq.shipping_time' });
    expect(((await misread.json()) as { lesson: Lesson }).lesson).toMatchObject({ as: 'phrase' });
    // The entry opens the latest customer's chat at that message.
    const missed = first.questions[2]!;
    expect((await transcriptOf('u2')).find((m) => m.id === missed.messageId)!.text).toBe('你们一般几天寄？');
    // Taught on one customer's message, the question leaves the list for all who asked it.
    expect((await teach((await said('u1', '你们一般几天寄')).id, { intent: 'faq.shipping_time' })).status).toBe(201);
    expect((await listed()).questions.map((q) => q.text)).toEqual(['么时候发货呀']);
    expect((await teach((await said('u3', '么时候发货呀')).id, { intent: 'faq.shipping_time' })).status).toBe(201);
    expect(await listed()).toEqual({ total: 0, questions: [] });
  });

  it('staff mark chit-chat 不用教: it leaves 待核对 at once, nothing waits for the playbooks, and 撤回 puts it back', async () => {
    await say('u1', '今天天气真不错啊'); // not understood, and nothing to teach
    const listed = async () => ((await (await desk('/to-teach')).json()) as { total: number; questions: { text: string }[] });
    expect((await listed()).questions.map((q) => q.text)).toEqual(['今天天气真不错啊']);
    const m = await said('u1', '今天天气真不错啊');
    const res = await desk(`/messages/${m.id}/dismiss`, { body: {} });
    expect(res.status).toBe(201);
    expect(((await res.json()) as { lesson: Lesson }).lesson).toMatchObject({ label: '不用教', state: 'dismissed', staff: '小王' });
    expect(await listed()).toEqual({ total: 0, questions: [] });
    expect((await said('u1', '今天天气真不错啊')).lesson).toMatchObject({ state: 'dismissed' });
    expect(await main(['teach', '--shop', 'acme', '--from-desk'])).toBe(0);
    expect(out).toBe('nothing taught at acme\'s desk waits to be added\n');
    expect((await desk(`/messages/${m.id}/dismiss`, { body: {}, csrf: false })).status).toBe(403);
    expect((await desk(`/messages/${m.id}/lesson`, { method: 'DELETE' })).status).toBe(200);
    expect((await listed()).questions.map((q) => q.text)).toEqual(['今天天气真不错啊']);
    expect((await said('u1', '今天天气真不错啊')).lesson).toBeNull();
  });

  it('refuses what cannot be taught, writing nothing; a waiting lesson can be taken back', async () => {
    await say('u1', '我想让你们早点寄');
    const m = await said('u1', '我想让你们早点寄');
    const botReply = (await transcriptOf('u1')).find((x) => x.direction === 'out')!;
    const refusals: [Response, number, RegExp][] = [
      [await teach(m.id, { intent: 'faq.no_such', text: '我想让你们早点寄' }), 400, /intent: one of the shop's intents/],
      [await teach(m.id, { intent: 'faq.urge_shipping', text: '订单 4200001234567 早点寄' }), 400, /去掉订单号、手机号/],
      [await teach(m.id, { intent: 'faq.urge_shipping', text: '   ' }), 400, /写下要教的话/],
      [await teach(m.id, { intent: 'faq.urge_shipping', text: '寄'.repeat(121) }), 400, /最多 120 个字/],
      [await teach(m.id, { intent: 'faq.urge_shipping', text: ' 寄 ' }), 400, /至少 2 个字/],
      [await teach(botReply.id, { intent: 'faq.urge_shipping' }), 404, /no customer message/],
      [await teach(999_999, { intent: 'faq.urge_shipping' }), 404, /no customer message 999999/],
      [await teach(m.id, { intent: 'faq.urge_shipping' }, { csrf: false }), 403, /needs the header x-xiaoer-desk/],
      [await teach(m.id, 'intent=faq.urge_shipping', { type: 'application/x-www-form-urlencoded' }), 415, /send JSON/],
      [await teach(m.id, '{"intent":', {}), 400, /not JSON/],
      [await desk(`/messages/${m.id}/lesson`, { method: 'DELETE' }), 404, /nothing taught on message/],
    ];
    for (const [res, status, reason] of refusals) {
      expect(res.status).toBe(status);
      expect(((await res.json()) as { reason: string }).reason).toMatch(reason);
    }
    expect(await lessonRows()).toEqual([]);

    expect((await teach(m.id, { intent: 'faq.urge_shipping' })).status).toBe(201);
    const res = await desk(`/messages/${m.id}/lesson`, { method: 'DELETE' });
    expect(res.status).toBe(200);
    expect(await lessonRows()).toEqual([]);
    expect((await said('u1', '我想让你们早点寄')).lesson).toBeNull();
  });

  it('a lesson the playbooks no longer take is refused with the reason, shown at the desk, and teach exits 1', async () => {
    await say('u1', '我想让你们早点寄');
    await say('u2', '价格再美丽一点');
    const m1 = await said('u1', '我想让你们早点寄');
    const m2 = await said('u2', '价格再美丽一点');
    // Taught under an intent that was renamed in the files since.
    await recordLesson(svc.service.db.db, { shopId: 'acme', messageId: m1.id, text: '我想让你们早点寄', intent: 'faq.hurry', as: 'example', staff: '小李', at: START });
    expect((await teach(m2.id, { intent: 'bargain' })).status).toBe(201);
    // Words in which a request for a person (priority 100) still wins whatever phrase is added.
    await say('u3', '人工客服在吗 我问发货');
    const m3 = await said('u3', '人工客服在吗 我问发货');
    expect((await teach(m3.id, { intent: 'faq.shipping_time' })).status).toBe(201);
    expect(await main(['teach', '--shop', 'acme', '--from-desk'])).toBe(1);
    expect(out).toContain('refused: unknown intent "faq.hurry"');
    expect(out).toContain('note: "人工客服在吗 我问发货" is still understood as handoff');
    expect(out).toContain('2 added, 0 already there, 1 refused');
    expect((await lessonRows()).map((l) => l.outcome)).toEqual(['refused', 'added', 'added']);
    // The desk says which lessons took (once the service has reloaded the files): the haggle did,
    // the one under a request for a person did not.
    await waitFor(async () => (await said('u2', '价格再美丽一点')).lesson?.inEffect === true);
    expect((await said('u3', '人工客服在吗 我问发货')).lesson).toMatchObject({ state: 'added', inEffect: false });
    expect((await said('u1', '我想让你们早点寄')).lesson).toMatchObject({ state: 'refused', staff: '小李', detail: expect.stringContaining('unknown intent "faq.hurry"') });
    // Taught again on the same message after the refusal: a new lesson waits.
    expect((await teach(m1.id, { intent: 'faq.urge_shipping' })).status).toBe(201);
    expect((await said('u1', '我想让你们早点寄')).lesson).toMatchObject({ state: 'waiting', staff: '小王' });
  });

  it('teach --from-desk needs --shop and takes no intent or text; --dry-run only with --from-desk', async () => {
    expect(await main(['teach', '--from-desk'])).toBe(1);
    expect(await main(['teach', '--shop', 'acme', '--from-desk', 'faq.hours', '几点'])).toBe(1);
    expect(await main(['teach', '--shop', 'acme', '--dry-run', 'faq.hours', '几点'])).toBe(1);
    expect(err).toContain('xiaoer teach --shop ID --from-desk [--dry-run]');
  });
});
