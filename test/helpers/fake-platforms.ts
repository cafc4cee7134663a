import { once } from 'node:events';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { KfItem } from '../../adapters/wecom-kf/parse.js';
import { DINGTALK } from './dingtalk.js';

export interface FakeMessage {
  receiveIdType: string | null;
  receiveId: string;
  text: string;
  uuid: string | undefined;
  token: string;
}

export interface Sent {
  platform: 'wecom' | 'kf' | 'kf-welcome' | 'kf-trans' | 'kf-state' | 'dingtalk' | 'dingtalk-api' | 'wecom-robot' | 'feishu-bot';
  to: string;
  text: string;
  body: Record<string, unknown>;
}

export const FAKE_SECRETS = { feishu: 'feishu-app-secret-123', wecom: 'wecom-corp-secret-456' } as const;

/**
 * One local stand-in for open.feishu.cn, qyapi.weixin.qq.com and oapi.dingtalk.com: issues
 * tokens, accepts sends, serves 微信客服 sync_msg, and can be told to fail. It does NOT
 * deduplicate, so tests see every message we really sent.
 */
export class FakePlatforms {
  server: Server;
  base = '';
  // Feishu
  tokensIssued = 0;
  delivered: FakeMessage[] = [];
  attempts = 0;
  /** Answers for the next send attempts (any platform), in order: an HTTP status or a platform error code. */
  script: (number | { code: number })[] = [];
  revoked = new Set<string>();
  expireSeconds = 7200;
  // WeCom, 微信客服, DingTalk, robots
  wecomTokensIssued = 0;
  sent: Sent[] = [];
  kfItems: KfItem[] = [];
  kfSyncCalls: { cursor: string | null; token: string }[] = [];
  /** Behave as if our cursor were unknown: return everything again (tests msgid dedup). */
  kfIgnoreCursor = false;
  /** The errcode 微信客服's service_state/trans answers with (0: it takes the transfer). */
  kfTransCode = 0;
  /**
   * 微信客服's session state for the customers here (1 the API's, 2 待接入池, 3 a 接待人员, 4 ended):
   * what service_state/get answers and a successful trans sets; while it is 2 or 3, send_msg is
   * refused with 95018, as the platform does.
   */
  kfServiceState = 1;
  /**
   * Files customers sent, by the platform's key (Feishu image_key/file_key, WeCom media_id):
   * what the resource and media/get endpoints hand out. A key not here is unknown or expired.
   */
  media = new Map<string, { type: string; data: Buffer }>();
  /** 微信客服 customers' WeChat nicknames, as customer/batchget hands them out; and the ids each call asked for. */
  kfNicknames = new Map<string, string>();
  kfCustomerCalls: string[][] = [];
  dingtalkTokensIssued = 0;
  mediaCalls: string[] = [];
  /** The next this many Feishu bot calls answer HTTP 500 (alert retries; robots only). */
  feishuBotFailures = 0;
  feishuBotCalls = 0;

  constructor() {
    this.server = createServer((req, res) => void this.route(req, res));
  }

  async start(): Promise<this> {
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    this.base = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  reset(): void {
    Object.assign(this, { tokensIssued: 0, delivered: [], attempts: 0, script: [], wecomTokensIssued: 0, sent: [], kfItems: [], kfSyncCalls: [], kfIgnoreCursor: false, kfTransCode: 0, kfServiceState: 1, feishuBotFailures: 0, feishuBotCalls: 0 });
    this.revoked.clear();
    this.media.clear();
    this.mediaCalls = [];
    this.kfNicknames.clear();
    this.kfCustomerCalls = [];
    this.dingtalkTokensIssued = 0;
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = chunks.length ? (JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>) : {};
    const url = new URL(req.url ?? '/', 'http://x');
    const json = (status: number, data: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(data));
    };
    const scripted = (): boolean => {
      this.attempts += 1;
      const step = this.script.shift();
      if (typeof step === 'number') {
        json(step, { code: step === 429 ? 99991400 : 1, errcode: -1, msg: `scripted ${step}` });
        return true;
      }
      if (step) {
        json(200, { code: step.code, errcode: step.code, msg: 'scripted code', errmsg: 'scripted code' });
        return true;
      }
      return false;
    };
    const wecomToken = (): string | null => {
      const t = url.searchParams.get('access_token') ?? '';
      if (!t.startsWith('wx-token-') || this.revoked.has(t)) {
        json(200, { errcode: 42001, errmsg: 'access_token expired' });
        return null;
      }
      return t;
    };
    const dingtalkToken = (): boolean => {
      const t = String(req.headers['x-acs-dingtalk-access-token'] ?? '');
      if (t.startsWith('ding-token-') && !this.revoked.has(t)) return true;
      json(401, { code: 'InvalidAuthentication', message: '不合法的access_token' });
      return false;
    };
    const binary = (type: string, data: Buffer) => {
      res.writeHead(200, { 'content-type': type, 'content-length': data.length });
      res.end(data);
    };
    const dingtalkFile = /^\/dingtalk-file\/([^/]+)$/.exec(url.pathname);
    if (dingtalkFile) {
      const file = this.media.get(decodeURIComponent(dingtalkFile[1]!));
      return file ? binary(file.type, file.data) : json(404, { message: 'gone' });
    }
    const resource = /^\/open-apis\/im\/v1\/messages\/([^/]+)\/resources\/([^/]+)$/.exec(url.pathname);
    if (resource) {
      const token = (req.headers.authorization ?? '').replace(/^Bearer /, '');
      if (this.revoked.has(token) || !token.startsWith('t-fake-')) return json(400, { code: 99991663, msg: 'Invalid access token for authorization' });
      const key = decodeURIComponent(resource[2]!);
      this.mediaCalls.push(`feishu:${decodeURIComponent(resource[1]!)}:${key}:${url.searchParams.get('type')}`);
      const file = this.media.get(key);
      return file ? binary(file.type, file.data) : json(400, { code: 234003, msg: 'File not in msg.' });
    }
    switch (url.pathname) {
      case '/v1.0/oauth2/accessToken':
        if (body.appKey !== DINGTALK.appKey || body.appSecret !== DINGTALK.appSecret) return json(400, { code: 'invalidClientIdOrSecret', message: '无效的clientId或者clientSecret' });
        this.dingtalkTokensIssued += 1;
        return json(200, { accessToken: `ding-token-${this.dingtalkTokensIssued}`, expireIn: 7200 });
      case '/v1.0/robot/messageFiles/download': {
        if (!dingtalkToken()) return;
        const code = String(body.downloadCode);
        this.mediaCalls.push(`dingtalk:${String(body.robotCode)}:${code}`);
        if (!this.media.has(code)) return json(400, { code: 'invalidParameter.downloadCode', message: 'downloadCode有误或已过期' });
        return json(200, { downloadUrl: `${this.base}/dingtalk-file/${encodeURIComponent(code)}?sig=short-lived` });
      }
      case '/v1.0/robot/oToMessages/batchSend':
      case '/v1.0/robot/groupMessages/send': {
        if (!dingtalkToken() || scripted()) return;
        const to = Array.isArray(body.userIds) ? String(body.userIds[0]) : `group:${String(body.openConversationId)}`;
        this.sent.push({ platform: 'dingtalk-api', to, text: (JSON.parse(String(body.msgParam)) as { content: string }).content, body });
        const invalid = Array.isArray(body.userIds) ? (body.userIds as string[]).filter((u) => u.startsWith('$:')) : [];
        return json(200, { processQueryKey: `pqk-${this.sent.length}`, ...(Array.isArray(body.userIds) ? { invalidStaffIdList: invalid, flowControlledStaffIdList: [] } : {}) });
      }
      case '/cgi-bin/kf/customer/batchget': {
        if (!wecomToken()) return;
        const ids = (body.external_userid_list ?? []) as string[];
        this.kfCustomerCalls.push(ids);
        return json(200, {
          errcode: 0, errmsg: 'ok',
          customer_list: ids.filter((id) => this.kfNicknames.has(id)).map((id) => ({ external_userid: id, nickname: this.kfNicknames.get(id), avatar: '', gender: 0, unionid: '' })),
          invalid_external_userid: ids.filter((id) => !this.kfNicknames.has(id)),
        });
      }
      case '/cgi-bin/media/get': {
        if (!wecomToken()) return;
        const id = String(url.searchParams.get('media_id'));
        this.mediaCalls.push(`wecom:${id}`);
        const file = this.media.get(id);
        return file ? binary(file.type, file.data) : json(200, { errcode: 40007, errmsg: 'invalid media_id' });
      }
      case '/open-apis/auth/v3/tenant_access_token/internal':
        if (body.app_secret !== FAKE_SECRETS.feishu) return json(200, { code: 10014, msg: 'app secret invalid' });
        this.tokensIssued += 1;
        return json(200, { code: 0, msg: 'ok', tenant_access_token: `t-fake-${this.tokensIssued}`, expire: this.expireSeconds });
      case '/open-apis/im/v1/messages': {
        const token = (req.headers.authorization ?? '').replace(/^Bearer /, '');
        if (this.revoked.has(token) || !token.startsWith('t-fake-')) return json(400, { code: 99991663, msg: 'Invalid access token for authorization' });
        if (scripted()) return;
        const content = JSON.parse(String(body.content)) as { text: string };
        this.delivered.push({
          receiveIdType: url.searchParams.get('receive_id_type'), receiveId: String(body.receive_id),
          text: content.text, uuid: body.uuid as string | undefined, token,
        });
        return json(200, { code: 0, msg: 'success', data: { message_id: `om_sent_${this.delivered.length}` } });
      }
      case '/cgi-bin/gettoken':
        if (url.searchParams.get('corpsecret') !== FAKE_SECRETS.wecom) return json(200, { errcode: 40001, errmsg: 'invalid credential' });
        this.wecomTokensIssued += 1;
        return json(200, { errcode: 0, errmsg: 'ok', access_token: `wx-token-${this.wecomTokensIssued}`, expires_in: 7200 });
      case '/cgi-bin/message/send':
        if (!wecomToken() || scripted()) return;
        this.sent.push({ platform: 'wecom', to: String(body.touser), text: (body.text as { content: string }).content, body });
        return json(200, { errcode: 0, errmsg: 'ok', msgid: `wmsg_${this.sent.length}` });
      case '/cgi-bin/kf/send_msg':
        if (!wecomToken() || scripted()) return;
        if (this.kfServiceState === 2 || this.kfServiceState === 3) return json(200, { errcode: 95018, errmsg: 'invalid session status' });
        this.sent.push({ platform: 'kf', to: String(body.touser), text: (body.text as { content: string }).content, body });
        return json(200, { errcode: 0, errmsg: 'ok', msgid: String(body.msgid ?? 'kf') });
      case '/cgi-bin/kf/service_state/trans':
        if (!wecomToken()) return;
        this.sent.push({ platform: 'kf-trans', to: String(body.external_userid), text: String(body.service_state), body });
        if (this.kfTransCode) return json(200, { errcode: this.kfTransCode, errmsg: 'scripted code' });
        this.kfServiceState = Number(body.service_state);
        return json(200, { errcode: 0, errmsg: 'ok' });
      case '/cgi-bin/kf/service_state/get':
        if (!wecomToken()) return;
        this.sent.push({ platform: 'kf-state', to: String(body.external_userid), text: String(this.kfServiceState), body });
        return json(200, { errcode: 0, errmsg: 'ok', service_state: this.kfServiceState, servicer_userid: this.kfServiceState === 3 ? 'lisi' : '' });
      case '/cgi-bin/kf/send_msg_on_event':
        if (!wecomToken() || scripted()) return;
        this.sent.push({ platform: 'kf-welcome', to: String(body.code), text: (body.text as { content: string }).content, body });
        return json(200, { errcode: 0, errmsg: 'ok', msgid: String(body.msgid ?? 'kfw') });
      case '/cgi-bin/kf/sync_msg': {
        if (!wecomToken()) return;
        const cursor = typeof body.cursor === 'string' ? body.cursor : null;
        this.kfSyncCalls.push({ cursor, token: String(body.token) });
        const from = cursor && !this.kfIgnoreCursor ? Number(cursor) : 0;
        const page = this.kfItems.slice(from, from + 2); // small pages, so has_more loops are exercised
        const next = from + page.length;
        return json(200, { errcode: 0, errmsg: 'ok', next_cursor: String(next), has_more: next < this.kfItems.length ? 1 : 0, msg_list: page });
      }
      case '/cgi-bin/webhook/send':
        if (scripted()) return;
        this.sent.push({ platform: 'wecom-robot', to: String(url.searchParams.get('key')), text: (body.markdown as { content: string }).content, body });
        return json(200, { errcode: 0, errmsg: 'ok' });
      case '/robot/sendBySession':
        if (scripted()) return;
        this.sent.push({ platform: 'dingtalk', to: String(url.searchParams.get('session')), text: (body.text as { content: string }).content, body });
        return json(200, { errcode: 0, errmsg: 'ok' });
      case '/feishu-bot':
        this.feishuBotCalls += 1;
        if (this.feishuBotFailures > 0) {
          this.feishuBotFailures -= 1;
          return json(500, { code: 500, msg: 'scripted failure' });
        }
        this.sent.push({ platform: 'feishu-bot', to: 'bot', text: (body.content as { text: string }).text, body });
        return json(200, { code: 0, msg: 'success' });
      default:
        return json(404, { code: 404, msg: 'not found' });
    }
  }
}
