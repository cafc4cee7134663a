/** The one message model every platform is normalized into; the engine sees nothing else. */
export const CHANNELS = ['feishu', 'wecom', 'wecomKf', 'dingtalk', 'local'] as const;
export type Channel = (typeof CHANNELS)[number];

export type MessageKind = 'text' | 'image' | 'file' | 'event' | 'other';

export interface InboundMessage {
  shopId: string;
  channel: Channel;
  /** Dedup key, unique per (shop, channel). */
  platformMessageId: string;
  /** The platform's delivery/event id when it has one (Feishu event_id): a second dedup key. */
  deliveryId: string | null;
  customerId: string;
  customerName: string | null;
  /** `${channel}:${chatId}:${customerId}` */
  conversationKey: string;
  text: string | null;
  kind: MessageKind;
  /** For kind 'event': which one. session_start = the customer opened the chat (微信客服 enter_session). */
  event?: 'session_start';
  receivedAt: Date;
  /** What the adapter needs later to answer in the same place (chat id, session webhook…). */
  replyContext: Record<string, unknown>;
  raw: unknown;
}

export interface OutboundMessage {
  shopId: string;
  channel: Channel;
  customerId: string;
  conversationKey: string;
  text: string;
  rule: string;
  response: string;
  proactive: boolean;
  /** Becomes the platform's uuid / msgid where supported, so a retried send cannot duplicate. */
  idempotencyKey: string;
  replyContext: Record<string, unknown>;
  /** The order a proactive message is about (counted against the per-order cap). */
  orderId?: string;
  /**
   * Not a message but a platform action, queued behind the replies before it so it happens in
   * the conversation's order: 微信客服 hands the session to its 接待人员 (the pool, or one person),
   * or ends a session a person holds when staff give the conversation back to the bot.
   */
  action?: { kind: 'kfTransfer'; servicer: string | null } | { kind: 'kfEndSession' };
}

export type SendResult =
  | { ok: true; platformId?: string }
  /** skip: the platform's own rules forbid this send (window closed, count reached); recorded, not retried. */
  | {
    ok: false; retry: 'backoff' | 'never' | 'skip'; reason: string;
    /** The platform says a person holds this conversation (微信客服 95018): the bot should go quiet in it. */
    personHasSession?: true;
  };
