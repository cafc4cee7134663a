import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.js';
import { captureOutput } from '../helpers/cli.js';
import { FakePlatforms } from '../helpers/fake-platforms.js';
import { allChannels, stubPlatformEnv, writeConfig } from '../helpers/service.js';

/** `xiaoer alerts test`: whoever sets up alerts sees a message arrive in the staff group, or the robot's answer. */
describe('xiaoer alerts test', () => {
  let fake: FakePlatforms;
  let io: ReturnType<typeof captureOutput>;
  beforeAll(async () => {
    fake = await new FakePlatforms().start();
  });
  afterAll(() => fake.stop());
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.restoreAllMocks();
  });

  function setUp(channels: string) {
    fake.reset();
    vi.stubEnv('XIAOER_CONFIG', writeConfig({ channels }));
    stubPlatformEnv(fake.base);
    io = captureOutput();
  }

  it('sends one test message to each robot of the shop and says so', async () => {
    setUp(allChannels(fake.base));
    expect(await main(['alerts', 'test', '--shop', 'acme'])).toBe(0);
    expect(io.out).toBe('wecom robot: test message sent — check the staff group\nfeishu robot: test message sent — check the staff group\n');
    expect(fake.sent.map((m) => [m.platform, m.to])).toEqual([['wecom-robot', 'robot-key-1'], ['feishu-bot', 'bot']]);
    expect(fake.sent[0]!.text).toMatch(/^\*\*店小二测试消息\*\*\n> 阿克米旗舰店（acme）的员工提醒已接通/);
    expect(fake.sent[1]!.text).not.toContain('**'); // the Feishu bot gets plain text
    const signed = fake.sent[1]!.body as { timestamp?: string; sign?: string };
    expect(signed.sign).toBeTruthy();
  });

  it('shows the robot that failed with its answer, and exits 1', async () => {
    setUp(allChannels(fake.base));
    fake.feishuBotFailures = 1;
    expect(await main(['alerts', 'test', '--shop', 'acme'])).toBe(1);
    expect(io.out).toMatch(/wecom robot: test message sent/);
    expect(io.out).toMatch(/feishu robot: FAILED {2}Feishu bot: HTTP 500 code 500 scripted failure/);
    expect(io.out).not.toContain(fake.base);
  });

  it('names a shop without robots, an unknown shop and a missing --shop', async () => {
    setUp('');
    expect(await main(['alerts', 'test', '--shop', 'acme'])).toBe(1);
    expect(io.err).toMatch(/shop acme has no alert robot: set alerts\.wecomRobotKey or alerts\.feishuBot/);
    expect(await main(['alerts', 'test', '--shop', 'nope'])).toBe(1);
    expect(io.err).toMatch(/no shop "nope" in .*xiaoer\.yml \(shops: acme\)/);
    expect(await main(['alerts', 'test'])).toBe(1);
    expect(io.err).toMatch(/xiaoer alerts test --shop ID/);
    expect(fake.sent).toEqual([]);
  });
});
