import type { AxiosInstance } from 'axios';
import type { Logger } from 'pino';
import type { ChannelsConfig } from '../src/config/schema.js';
import type { Channel, InboundMessage, OutboundMessage, SendResult } from '../src/types/index.js';
import type { Rate } from './shared/rate.js';
import type { TokenCache } from './shared/token-cache.js';

/** A webhook exactly as it arrived: the body stays bytes, because signatures are over bytes. */
export interface RawRequest {
  method: string;
  query: Readonly<Record<string, string | undefined>>;
  headers: Readonly<Record<string, string | undefined>>;
  body: Buffer;
}

export type VerifyResult = { ok: true; payload: unknown } | { ok: false; status: 400 | 401; reason: string };

export type Parsed =
  /** Answer at once (URL verification); nothing is stored. */
  | { kind: 'challenge'; response: AckResponse }
  | { kind: 'messages'; messages: InboundMessage[] }
  /** A valid event we do not act on (e.g. message_read); acked so the platform stops retrying. */
  | { kind: 'ignored'; reason: string }
  /** The callback only says "messages are waiting" (微信客服): ack, then fetch them. */
  | { kind: 'pull'; account: string; token: string };

export interface AckResponse {
  status: number;
  body: string | Record<string, unknown>;
}

/** What the pipeline did with one inbound message; the local channel returns the replies inline. */
export interface Handled {
  message: InboundMessage;
  duplicate: boolean;
  replies: { text: string; rule: string; response: string }[];
  /**
   * What was recognised in the customer's text, whatever rules then fired; `guessed`: no phrase
   * matched, the intent was taken from likeness to its examples, this alike (0–1).
   */
  understood: { intent: string | null; bargainer: string | null; guessed?: number };
  /** A person has the conversation (handed over): the bot says nothing, or only the shop's waiting words. */
  withPerson?: boolean;
}

export interface SendContext {
  http: AxiosInstance;
  apiBase: string;
  /** DingTalk's second API host (api.dingtalk.com: access tokens, message files); unset elsewhere. */
  openApiBase?: string;
  tokens: TokenCache;
  log: Logger;
  /** epoch ms; injectable so token expiry is testable */
  now: () => number;
}

/** The whole contract between the service and a platform: four functions (see style.md). */
export interface Adapter<C> {
  /** URL segment: /webhooks/<platform>/:shop (two channels may share one, like wecom and wecomKf). */
  readonly platform: string;
  readonly channel: Channel;
  /** This adapter's config out of a shop's channels; undefined when the shop has not set it up. */
  configOf(channels: ChannelsConfig): C | undefined;
  /** GET on the webhook URL: the platform's URL check (WeCom). Throws RequestError when it fails. */
  verifyUrl?(req: RawRequest, cfg: C, now: Date): AckResponse;
  /**
   * Platform rules checked before each send: 微信客服's 48 h window and 5 replies per customer
   * message; send rates per app and per recipient (waited out, never exceeded).
   */
  readonly limits?: { readonly windowMs?: number; readonly perInbound?: number; readonly perApp?: Rate; readonly perRecipient?: Rate };
  /** Pure: bytes, config and clock in; no I/O. */
  verify(req: RawRequest, cfg: C, now: Date): VerifyResult;
  /** Pure; throws RequestError(400) on a payload it cannot understand. */
  parse(payload: unknown, ctx: { shopId: string; cfg: C; now: Date }): Parsed;
  ack(handled: readonly Handled[]): AckResponse;
  send(msg: OutboundMessage, cfg: C, ctx: SendContext): Promise<SendResult>;
  /**
   * `xiaoer check --live`: asks the platform whether these credentials work, without sending
   * anything to anyone (fetches a fresh access token). Resolves with what was confirmed; throws
   * with the platform's answer when refused. Absent where there is nothing to ask.
   */
  probe?(cfg: C, ctx: SendContext): Promise<string>;
  /** Pure: the pictures and files in a stored inbound message's raw payload, in the order sent. */
  mediaOf?(raw: unknown): MediaRef[];
  /** Fetches one of them from the platform, for staff at the desk (the platform keeps it; xiaoer does not). */
  fetchMedia?(ref: MediaRef, cfg: C, ctx: SendContext): Promise<MediaResult>;
}

/** A picture or file a customer sent, as the platform names it. */
export interface MediaRef {
  kind: 'image' | 'file';
  /** The platform's key for it: Feishu image_key / file_key, WeCom media_id. */
  key: string;
  /** The message it came in, where the platform needs it to hand the file out (Feishu). */
  messageId?: string;
  /** The file's name as the customer's client gave it. */
  name?: string;
}

export type MediaResult =
  | { ok: true; contentType: string; data: Buffer }
  /** 404: the platform no longer has it (WeCom keeps media 3 days) or never had it; 502: the platform failed. */
  | { ok: false; status: 404 | 502; reason: string; /** the platform's error code, when it gave one */ code?: number };
