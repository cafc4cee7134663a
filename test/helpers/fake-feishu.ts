import { once } from 'node:events';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeMessage {
  receiveIdType: string | null;
  receiveId: string;
  text: string;
  uuid: string | undefined;
  token: string;
}

/**
 * A local stand-in for open.feishu.cn: issues tenant tokens, accepts im/v1/messages, and can
 * be told to fail. It does NOT deduplicate by uuid, so tests see every message we really sent.
 */
export class FakeFeishu {
  server: Server;
  base = '';
  tokensIssued = 0;
  tokenRequests: unknown[] = [];
  delivered: FakeMessage[] = [];
  attempts = 0;
  /** Status codes (or Feishu codes as {code}) to answer the next send attempts with, in order. */
  script: (number | { code: number })[] = [];
  /** Tokens the fake considers revoked. */
  revoked = new Set<string>();
  expireSeconds = 7200;

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

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = chunks.length ? (JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>) : {};
    const url = new URL(req.url ?? '/', 'http://x');
    const json = (status: number, data: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(data));
    };
    if (url.pathname === '/open-apis/auth/v3/tenant_access_token/internal') {
      this.tokenRequests.push(body);
      if (body.app_secret !== 'feishu-app-secret-123') return json(200, { code: 10014, msg: 'app secret invalid' });
      this.tokensIssued += 1;
      return json(200, { code: 0, msg: 'ok', tenant_access_token: `t-fake-${this.tokensIssued}`, expire: this.expireSeconds });
    }
    if (url.pathname === '/open-apis/im/v1/messages' && req.method === 'POST') {
      this.attempts += 1;
      const token = (req.headers.authorization ?? '').replace(/^Bearer /, '');
      if (this.revoked.has(token) || !token.startsWith('t-fake-')) return json(400, { code: 99991663, msg: 'Invalid access token for authorization' });
      const step = this.script.shift();
      if (typeof step === 'number') return json(step, { code: step === 429 ? 99991400 : 1, msg: `scripted ${step}` });
      if (step) return json(400, { code: step.code, msg: 'scripted code' });
      const content = JSON.parse(String(body.content)) as { text: string };
      this.delivered.push({
        receiveIdType: url.searchParams.get('receive_id_type'), receiveId: String(body.receive_id),
        text: content.text, uuid: body.uuid as string | undefined, token,
      });
      return json(200, { code: 0, msg: 'success', data: { message_id: `om_sent_${this.delivered.length}` } });
    }
    json(404, { code: 404, msg: 'not found' });
  }
}
