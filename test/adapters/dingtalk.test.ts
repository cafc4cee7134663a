import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { dingtalkAdapter } from '../../adapters/dingtalk/index.js';
import { createPlatformHttp } from '../../adapters/shared/http.js';
import { createTokenCache } from '../../adapters/shared/token-cache.js';
import type { RawRequest } from '../../adapters/types.js';
import type { OutboundMessage } from '../../src/types/index.js';
import { DINGTALK, dingtalkMessage } from '../helpers/dingtalk.js';

const NOW = Date.parse('2026-11-27T03:00:00Z');
const cfg = { ...DINGTALK };
const req = (m: ReturnType<typeof dingtalkMessage>): RawRequest => ({ method: 'POST', query: {}, headers: m.headers, body: Buffer.from(m.body) });

describe('DingTalk robot callback', () => {
  it('verifies the sign and normalizes the text', () => {
    const m = dingtalkMessage({ msgId: 'msg1', text: '你好', base: 'https://oapi.dingtalk.com', nowMs: NOW - 30 * 60_000 });
    const v = dingtalkAdapter.verify(req(m), cfg, new Date(NOW));
    expect(v.ok).toBe(true);
    if (!v.ok) return;
    const p = dingtalkAdapter.parse(v.payload, { shopId: 'acme', cfg, now: new Date(NOW) });
    expect(p).toMatchObject({ kind: 'messages', messages: [{ platformMessageId: 'msg1', customerId: 'staff01', text: '你好', customerName: '张三' }] });
  });

  it('reads text and pictures sent together (richText) as the words in them; pictures alone are an image', () => {
    const parse = (richText: Record<string, unknown>[]) => {
      const v = dingtalkAdapter.verify(req(dingtalkMessage({ msgId: 'r1', text: '', base: 'https://oapi.dingtalk.com', nowMs: NOW, richText })), cfg, new Date(NOW));
      if (!v.ok) throw new Error(v.reason);
      return dingtalkAdapter.parse(v.payload, { shopId: 'acme', cfg, now: new Date(NOW) });
    };
    const picture = { type: 'picture', downloadCode: 'dl-1', pictureDownloadCode: 'pdl-1' };
    expect(parse([{ text: '收到的杯子' }, picture, { text: '破了一个口' }])).toMatchObject({ messages: [{ kind: 'text', text: '收到的杯子破了一个口' }] });
    expect(parse([picture])).toMatchObject({ messages: [{ kind: 'image', text: null }] });
  });

  it('refuses a bad sign and a timestamp more than an hour off', () => {
    expect(dingtalkAdapter.verify(req(dingtalkMessage({ msgId: 'm', text: 'x', base: '', nowMs: NOW, sign: 'AAAA' })), cfg, new Date(NOW))).toMatchObject({ ok: false, status: 401 });
    expect(dingtalkAdapter.verify(req(dingtalkMessage({ msgId: 'm', text: 'x', base: '', nowMs: NOW - 61 * 60_000 })), cfg, new Date(NOW))).toMatchObject({ ok: false, status: 401 });
  });

  it('only follows a sessionWebhook on the configured API origin (after it expired, the robot API sends: all-channels e2e)', async () => {
    const ctx = { http: createPlatformHttp(), apiBase: 'https://oapi.dingtalk.com', tokens: createTokenCache(() => NOW, 0), log: pino({ level: 'silent' }), now: () => NOW };
    const msg = (hook: string, expires: number): OutboundMessage => ({
      shopId: 'acme', channel: 'dingtalk', customerId: 'staff01', conversationKey: 'k', text: 'hi', rule: 'r', response: 'x',
      proactive: false, idempotencyKey: 'k1', replyContext: { sessionWebhook: hook, sessionWebhookExpiredTime: expires },
    });
    expect(await dingtalkAdapter.send(msg('https://evil.example.com/robot/sendBySession?session=1', NOW + 1000), cfg, ctx))
      .toMatchObject({ ok: false, retry: 'never', reason: expect.stringMatching(/origin/) });
  });
});
