import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.js';
import { captureOutput } from '../helpers/cli.js';
import { FAKE_SECRETS, FakePlatforms } from '../helpers/fake-platforms.js';
import { allChannels, DEFAULT_PLAYBOOKS, stubPlatformEnv, writeConfig } from '../helpers/service.js';

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
    const io = captureOutput();
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
    const io = captureOutput();
    expect(await main(['check', '--config', join(dir, 'xiaoer.yml')])).toBe(1);
    expect(io.err).toMatch(new RegExp(`greeting\\.yml:${line}:9: error: rules\\.\\d+\\.then\\.0\\.replly: unknown field "replly"; did you mean "reply"\\?; allowed actions: reply, set`));
  });

  it('warns of a shop whose handed-over customers reach nobody: no desk and no alert robot', async () => {
    const dir = shopDir();
    const feishu = '    channels:\n      feishu: { appId: cli_x, appSecret: s, verificationToken: t, encryptKey: k }\n';
    writeFileSync(join(dir, 'xiaoer.yml'), `shops:\n  - id: acme\n    name: 阿克米\n    playbooks: ./playbooks\n${feishu}`);
    let io = captureOutput();
    expect(await main(['check', '--config', join(dir, 'xiaoer.yml')])).toBe(0); // a warning, not an error
    expect(io.out).toMatch(/xiaoer\.yml:2:9: warning: shops\.0: customers shop acme hands to a person \(转人工\) reach nobody: no staff desk/);
    vi.restoreAllMocks();
    writeFileSync(join(dir, 'xiaoer.yml'), `shops:\n  - id: acme\n    name: 阿克米\n    playbooks: ./playbooks\n${feishu}    desk: { password: desk-password-0123 }\n`);
    io = captureOutput();
    expect(await main(['check', '--config', join(dir, 'xiaoer.yml')])).toBe(0);
    expect(io.out).not.toMatch(/reach nobody/);
  });

  it('warns of a products: entry an earlier one always wins over', async () => {
    const dir = shopDir();
    writeFileSync(join(dir, 'xiaoer.yml'), 'shops:\n  - id: acme\n    name: 阿克米\n    playbooks: ./playbooks\n    channels:\n      local: {}\n'
      + '    products:\n      - { match: 洗衣, lasts: 60d }\n      - { match: [洗衣凝珠, 洗衣液], lasts: 30d }\n      - { match: [猫粮, 洗衣粉], lasts: 45d }\n');
    const io = captureOutput();
    expect(await main(['check', '--config', join(dir, 'xiaoer.yml')])).toBe(0);
    expect(io.out).toMatch(/xiaoer\.yml:9:9: warning: shops\.0\.products\.1: products entry 洗衣凝珠, 洗衣液 never applies: the earlier entry 洗衣 \(lasts 60d\) matches every title it would; put the longer words first/);
    expect(io.out).not.toMatch(/products\.2/); // 猫粮 still reaches its own titles
  });

  it('reports a config problem with its position', async () => {
    const dir = shopDir();
    writeFileSync(join(dir, 'xiaoer.yml'), 'shops:\n  - id: acme\n    name: 阿克米\n    chanels:\n      local: {}\n');
    const io = captureOutput();
    expect(await main(['check', '--config', join(dir, 'xiaoer.yml')])).toBe(1);
    expect(io.err).toMatch(/xiaoer\.yml:4:5: error: shops\.0\.chanels: unknown field "chanels"; did you mean "channels"\?; allowed here: id, name, timezone, businessHours, playbooks, /);
    expect(io.err).toMatch(/xiaoer\.yml:2:5: error: shops\.0\.channels: missing required field "channels"/);
  });
});

/** --live asks each platform (here the fake one) whether the credentials work, and sends nothing. */
describe('xiaoer check --live', () => {
  let fake: FakePlatforms;
  beforeAll(async () => {
    fake = await new FakePlatforms().start();
  });
  afterAll(() => fake.stop());
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.restoreAllMocks();
  });

  function live(wecomSecret: string) {
    stubPlatformEnv(fake.base, { wecom: wecomSecret });
    return main(['check', '--live', '--config', writeConfig({ channels: allChannels() })]);
  }

  it('says each channel works when the platform issues a token', async () => {
    const io = captureOutput();
    fake.reset();
    expect(await live(FAKE_SECRETS.wecom)).toBe(0);
    expect(io.out).toMatch(/acme feishu +ok +app cli_a1b2c3d4e5: appId and appSecret accepted/);
    expect(io.out).toMatch(/acme wecom +ok +corp .*: corpId and secret accepted/);
    expect(io.out).toMatch(/acme wecomKf +— +uses the WeCom app's corpId and secret/);
    expect(io.out).toMatch(/acme dingtalk +ok +app dingabc123: appKey and appSecret accepted/);
    expect(io.out).not.toMatch(/acme local/);
    expect(fake.delivered).toEqual([]);
    expect(fake.sent).toEqual([]);
  });

  it('names the channel the platform refused, with its answer and without the secret, and exits 1', async () => {
    const io = captureOutput();
    expect(await live('wrong-wecom-secret-123')).toBe(1);
    expect(io.out).toMatch(/acme feishu +ok/);
    expect(io.out).toMatch(/acme wecom +FAILED +gettoken: HTTP 200 errcode 40001 invalid credential \(check corpId\/secret\)/);
    expect(io.out).not.toContain('wrong-wecom-secret-123');
  });

  it('says when there is nothing to ask (only the local channel)', async () => {
    const io = captureOutput();
    expect(await main(['check', '--live', '--config', join(shopDir(), 'xiaoer.yml')])).toBe(0);
    expect(io.out).toContain('no platform channel is configured (only local): nothing to ask');
  });

  it('reports an unreachable platform as failed rather than hanging or crashing', async () => {
    const io = captureOutput();
    stubPlatformEnv(fake.base);
    vi.stubEnv('FEISHU_API_BASE', 'http://127.0.0.1:9');
    expect(await main(['check', '--live', '--config', writeConfig()])).toBe(1);
    expect(io.out).toMatch(/acme feishu +FAILED +.*ECONNREFUSED/);
  });
});
