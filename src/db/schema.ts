import type { Generated } from 'kysely';

/**
 * Row shapes as stored. Times are epoch milliseconds (bigint) and JSON is text, so SQLite and
 * Postgres store, compare and return exactly the same values and one set of tests covers both.
 */
export interface CustomersTable {
  id: Generated<number>;
  shop_id: string;
  channel: string;
  platform_user_id: string;
  name: string | null;
  tags: string; // JSON string[]
  tier: string | null;
  /** When they first got a tier (kept through tier changes; null when they have none). */
  member_since: number | null;
  first_seen_at: number;
  last_seen_at: number;
  opted_out_at: number | null;
}

export interface ConversationsTable {
  id: Generated<number>;
  shop_id: string;
  customer_id: number;
  key: string;
  state: string; // JSON ConversationState
  handed_off_at: number | null;
  handoff_until: number | null;
  last_rule_fired: string | null;
  created_at: number;
  updated_at: number;
}

export interface MessagesTable {
  id: Generated<number>;
  shop_id: string;
  channel: string;
  conversation_id: number;
  direction: 'in' | 'out';
  platform_message_id: string | null;
  delivery_id: string | null;
  kind: string;
  text: string | null;
  rule: string | null;
  response: string | null;
  raw: string | null;
  /** Inbound only: JSON MessageGuess when the bot took the intent from likeness to examples, else null. */
  guess: string | null;
  created_at: number;
}

export type OutboxState = 'pending' | 'sending' | 'sent' | 'dead' | 'skipped';

export interface OutboxTable {
  id: Generated<number>;
  message_id: number;
  shop_id: string;
  channel: string;
  payload: string; // JSON OutboundMessage
  idempotency_key: string;
  state: OutboxState;
  attempts: number;
  next_attempt_at: number;
  locked_until: number | null;
  last_error: string | null;
  platform_id: string | null;
  created_at: number;
  updated_at: number;
  conversation_key: string | null;
  proactive: number;
  customer_key: string | null;
  order_id: string | null;
}

export interface OrdersTable {
  shop_id: string;
  order_id: string;
  state: string;
  customer_channel: string;
  customer_user_id: string;
  data: string; // JSON OrderData
  signed_at: number | null;
  created_at: number;
  updated_at: number;
}

export interface OrderEventsTable {
  shop_id: string;
  event_id: string;
  order_id: string;
  type: string;
  outcome: 'applied' | 'ignored';
  reason: string | null;
  occurred_at: number;
  received_at: number;
}

export type JobState = 'pending' | 'running' | 'done' | 'cancelled' | 'skipped';

export interface JobsTable {
  id: Generated<number>;
  shop_id: string;
  /** rule: run a playbook rule; message: send an already chosen proactive message (deferred by quiet hours). */
  kind: 'rule' | 'message';
  rule: string;
  category: 'care' | 'marketing';
  customer_channel: string;
  customer_user_id: string;
  order_id: string | null;
  payload: string; // JSON
  due_at: number;
  not_after: number | null;
  state: JobState;
  attempts: number;
  locked_until: number | null;
  reason: string | null;
  dedup_key: string;
  created_at: number;
  updated_at: number;
}

export interface PlatformCursorsTable {
  shop_id: string;
  channel: string;
  account: string;
  cursor: string;
  updated_at: number;
}

export interface AlertsTable {
  id: Generated<number>;
  shop_id: string;
  kind: string;
  rule: string | null;
  conversation_key: string | null;
  customer_id: string | null;
  text: string;
  transcript: string; // JSON { who: 'customer' | 'bot' | 'staff', text, name? }[]
  state: 'pending' | 'sent' | 'failed';
  attempts: number;
  last_error: string | null;
  created_at: number;
  sent_at: number | null;
  /** Robot names that have it, comma-separated: each robot gets an alert once. */
  delivered_to: string;
  /** Not retried before this (ms); 0 when new. */
  next_attempt_at: number;
}

export interface SendRatesTable {
  key: string;
  /** When the sends were made (ms). */
  sent_at: number;
  /** Sends for the key in that millisecond. */
  count: number;
}

/** How a lesson goes into the playbooks: among the intent's phrases (answered for certain) or its examples (likeness). */
export type LessonAs = 'phrase' | 'example';
/** What `xiaoer teach --from-desk` made of a lesson; dismissed: staff said the message asks nothing to teach (哈哈, 嗯嗯). */
export type LessonOutcome = 'added' | 'already' | 'refused' | 'dismissed';

export interface LessonsTable {
  id: Generated<number>;
  shop_id: string;
  /** The customer's message it was taught on (deleted with it: forget, retention). */
  message_id: number;
  /** The words taught, as staff left them. */
  text: string;
  intent: string;
  teach_as: LessonAs;
  staff: string;
  created_at: number;
  /** When it was put into the playbooks (or refused); null while it waits. */
  settled_at: number | null;
  outcome: LessonOutcome | null;
  /** Where it went (file:line) or why it was refused. */
  detail: string | null;
}

export interface Database {
  lessons: LessonsTable;
  send_rates: SendRatesTable;
  orders: OrdersTable;
  order_events: OrderEventsTable;
  jobs: JobsTable;
  platform_cursors: PlatformCursorsTable;
  alerts: AlertsTable;
  customers: CustomersTable;
  conversations: ConversationsTable;
  messages: MessagesTable;
  outbox: OutboxTable;
}
