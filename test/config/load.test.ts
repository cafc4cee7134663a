import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readEnvOptions } from '../../src/config/env.js';
import { DEMO_CONFIG_PATH, loadConfig, parseConfig, resolveConfigPath } from '../../src/config/load.js';
import { ValidationError } from '../../src/errors.js';

const GOOD = `shops:
  - id: acme                 # [a-z0-9-]+, used in URLs
    name: 阿克米旗舰店
    timezone: Asia/Shanghai
    businessHours: { from: "09:00", to: "23:00" }
    playbooks: ./playbooks
    channels:
      feishu: { appId: cli_x, appSecret: \${ACME_FEISHU_SECRET}, verificationToken: t, encryptKey: k }
      local: {}
`;

function problems(text: string, env: Record<string, string> = { ACME_FEISHU_SECRET: 's' }) {
  try {
    parseConfig('/etc/xiaoer/xiaoer.yml', text, env);
  } catch (err) {
    if (err instanceof ValidationError) return err.problems;
    throw err;
  }
  return [];
}

describe('config', () => {
  it('parses the documented example, interpolating ${VAR} inside a flow map, and freezes it', () => {
    const cfg = parseConfig('/etc/xiaoer/xiaoer.yml', GOOD, { ACME_FEISHU_SECRET: 'sekret' });
    const shop = cfg.shops[0]!;
    expect(shop.channels.feishu?.appSecret).toBe('sekret');
    expect(shop.playbooksDir).toBe('/etc/xiaoer/playbooks');
    expect(Object.isFrozen(shop.channels.feishu)).toBe(true);
    expect(cfg.outbox.maxAttempts).toBe(8);
  });

  it('names a missing environment variable with its line', () => {
    const [p] = problems(GOOD, {});
    expect(p).toMatchObject({ line: 8, message: expect.stringContaining('ACME_FEISHU_SECRET') });
  });

  it('reports an unknown key at its own line and column', () => {
    const [p] = problems(GOOD.replace('    timezone:', '    timezon:'));
    expect(p).toMatchObject({ line: 4, col: 5, field: 'shops.0.timezon', message: expect.stringContaining('unknown field') });
  });

  it('says what a slip of the Chinese keyboard is: a full-width colon after a field name, a full-width space as indentation', () => {
    expect(problems(GOOD.replace('    timezone:', '    timezone：'))).toContainEqual(expect.objectContaining({
      line: 4, col: 13, message: '"timezone：" has a full-width colon (中文冒号); YAML needs an ASCII colon and a space: "timezone: …"' }));
    expect(problems(GOOD.replace('    timezone:', '\u3000\u3000timezone:'))).toContainEqual(expect.objectContaining({
      line: 4, col: 1, message: 'indented with a full-width space (全角空格); indent with ordinary spaces' }));
  });

  it('reports bad values with the allowed form', () => {
    const ps = problems(GOOD.replace('id: acme', 'id: Acme Shop').replace('Asia/Shanghai', 'Mars/Base').replace('"23:00"', '"25:00"'));
    expect(ps.map((p) => [p.line, p.field])).toEqual([[2, 'shops.0.id'], [4, 'shops.0.timezone'], [5, 'shops.0.businessHours.to']]);
  });

  it('takes where a 微信客服 handoff goes (desk by default), naming the allowed forms at the line of a wrong one', () => {
    const kf = (handoff: string) => GOOD.replace('      local: {}\n', `      wecom: { corpId: ww1, agentId: 1, secret: s, token: t, encodingAESKey: ${'a'.repeat(43)} }\n      wecomKf: { openKfId: wk1${handoff} }\n      local: {}\n`);
    expect(parseConfig('/x.yml', kf(''), { ACME_FEISHU_SECRET: 's' }).shops[0]!.channels.wecomKf?.handoffTo).toBe('desk');
    expect(parseConfig('/x.yml', kf(', handoffTo: pool'), { ACME_FEISHU_SECRET: 's' }).shops[0]!.channels.wecomKf?.handoffTo).toBe('pool');
    expect(parseConfig('/x.yml', kf(', handoffTo: { servicer: lisi }'), { ACME_FEISHU_SECRET: 's' }).shops[0]!.channels.wecomKf?.handoffTo).toEqual({ servicer: 'lisi' });
    const [p] = problems(kf(', handoffTo: pol'));
    expect(p).toMatchObject({ line: 10, field: 'shops.0.channels.wecomKf.handoffTo', message: expect.stringContaining('desk, pool, or { servicer: <接待人员 userid> }') });
  });

  it('takes retention in days, refusing fewer than a month at its line, and keeps everything without it', () => {
    expect(parseConfig('/x.yml', GOOD, { ACME_FEISHU_SECRET: 's' }).retention).toBeNull();
    expect(parseConfig('/x.yml', `${GOOD}retention: { days: 365 }\n`, { ACME_FEISHU_SECRET: 's' }).retention).toEqual({ days: 365 });
    const [p] = problems(`${GOOD}retention:\n  days: 7\n`);
    expect(p).toMatchObject({ line: 11, field: 'retention.days', message: expect.stringContaining('keep at least 30 days') });
    expect(problems(`${GOOD}retention: { dayz: 90 }\n`)).toContainEqual(expect.objectContaining({ field: 'retention.dayz', message: expect.stringContaining('unknown field') }));
  });

  it('refuses a staff desk password too short to guard every customer of the shop, at its line', () => {
    const [p] = problems(`${GOOD}    desk: { password: short }\n`);
    expect(p).toMatchObject({ line: 10, field: 'shops.0.desk.password', message: expect.stringContaining('at least 12 characters') });
    expect(problems(`${GOOD}    desk: { password: long-enough-pass }\n`)).toEqual([]);
  });

  it('reports YAML syntax errors with a position', () => {
    const [p] = problems('shops:\n  - id: [unclosed\n');
    expect(p!.line).toBeGreaterThan(0);
  });

  it('uses the demo shop when no config file exists', () => {
    const dir = mkdtempSync(join(tmpdir(), 'xiaoer-cfg-'));
    expect(resolveConfigPath(undefined, dir)).toEqual({ path: DEMO_CONFIG_PATH, demo: true });
    writeFileSync(join(dir, 'xiaoer.yml'), GOOD);
    expect(resolveConfigPath(undefined, dir)).toEqual({ path: join(dir, 'xiaoer.yml'), demo: false });
    const demo = loadConfig(DEMO_CONFIG_PATH, {});
    expect(demo.shops.map((s) => s.id)).toEqual(['demo']);
  });

  it('reads the environment once with defaults and clear errors', () => {
    expect(readEnvOptions({})).toMatchObject({ port: 3000, databaseUrl: 'sqlite:./data/xiaoer.db', apiBase: { feishu: 'https://open.feishu.cn' } });
    expect(() => readEnvOptions({ DATABASE_URL: 'mysql://x' })).toThrow(/DATABASE_URL/);
  });
});
