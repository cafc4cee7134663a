import type { Migration } from 'kysely';
import * as initial from './2026-11-27T00-initial.js';
import * as alerts from './2026-11-27T01-alerts.js';
import * as cursors from './2026-11-27T02-platform-cursors.js';
import * as orders from './2026-11-27T03-orders-jobs.js';
import * as conversationIndex from './2026-11-27T04-conversation-customer-index.js';
import * as leanIndexes from './2026-11-27T05-lean-write-indexes.js';
import * as alertDeliveries from './2026-11-28T00-alert-deliveries.js';
import * as orderLookups from './2026-11-28T01-order-lookups.js';
import * as outboxMessageIndex from './2026-11-28T02-outbox-message-index.js';
import * as ordersCustomerRecent from './2026-11-28T03-orders-customer-recent.js';
import * as sendRates from './2026-11-28T04-send-rates.js';
import * as messageGuess from './2026-11-29T00-message-guess.js';
import * as lessons from './2026-11-29T01-lessons.js';
import * as memberSince from './2026-11-29T02-member-since.js';

/**
 * Static index (not a folder scan): works under ESM, from dist/ and from source, and with
 * `:memory:` databases in tests. Names sort by date; add new files at the end.
 */
export const migrations: Record<string, Migration> = {
  '2026-11-27T00-initial': initial,
  '2026-11-27T01-alerts': alerts,
  '2026-11-27T02-platform-cursors': cursors,
  '2026-11-27T03-orders-jobs': orders,
  '2026-11-27T04-conversation-customer-index': conversationIndex,
  '2026-11-27T05-lean-write-indexes': leanIndexes,
  '2026-11-28T00-alert-deliveries': alertDeliveries,
  '2026-11-28T01-order-lookups': orderLookups,
  '2026-11-28T02-outbox-message-index': outboxMessageIndex,
  '2026-11-28T03-orders-customer-recent': ordersCustomerRecent,
  '2026-11-28T04-send-rates': sendRates,
  '2026-11-29T00-message-guess': messageGuess,
  '2026-11-29T01-lessons': lessons,
  '2026-11-29T02-member-since': memberSince,
};
