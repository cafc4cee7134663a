import type { Handled } from '../adapters/types.js';
import type { ShopConfig } from './config/schema.js';
import { customerBatchKey } from './db/batch.js';
import type { WriteBatcher } from './db/batch.js';
import { isUniqueViolation } from './db/messages.js';
import { FALLBACK_RULE, missIntents } from './engine/decide.js';
import { ingest } from './engine/ingest.js';
import type { IngestResult } from './engine/ingest.js';
import type { Logger } from './log.js';
import type { Metrics } from './metrics.js';
import type { PlaybookStore } from './playbook/store.js';
import type { InboundMessage } from './types/index.js';

export interface PipelineDeps {
  batcher: WriteBatcher;
  playbooks: PlaybookStore;
  log: Logger;
  metrics: Metrics;
  random: () => number;
}

/** What the bot did with a customer's message, for xiaoer_messages_total. `misread`: intents by which a customer says the answer missed. */
export function messageOutcome(r: IngestResult, misread: ReadonlySet<string> = new Set()): string {
  if (r.duplicate) return 'duplicate';
  if (r.handoff) return 'handoff';
  if (r.silenced) return 'silent';
  if (r.waiting) return 'waiting';
  if (r.replies.length === 0) return 'no_reply';
  if (r.replies.every((x) => x.rule === FALLBACK_RULE)) return 'fallback';
  // 答非所问: the answer before this one missed — a jump after a playbook edit is worth a look.
  if (r.understood.intent !== null && misread.has(r.understood.intent)) return 'misread';
  // Answered by likeness to examples, no phrase (fallback.suggest.answerAbove): counted apart, to tune the bar by.
  return r.understood.resembled !== undefined ? 'guessed' : 'answered';
}

/**
 * The one path every inbound message takes, whatever its platform: one unit of the shared
 * write transaction (stored, decided, replies queued), resolved after the commit.
 */
export function createPipeline(deps: PipelineDeps) {
  return async function commit(message: InboundMessage, shop: ShopConfig): Promise<Handled & { outboxIds: number[] }> {
    const playbook = deps.playbooks.get(shop.id);
    try {
      const result = await deps.batcher.run(
        (trx) => ingest(trx, message, { shop, playbook, random: deps.random }),
        customerBatchKey(shop.id, message.channel, message.customerId),
      );
      deps.metrics.messages.inc({ shop: shop.id, outcome: messageOutcome(result, missIntents(playbook)) });
      if (result.handoff) {
        deps.log.info({ shop: shop.id, conversation: message.conversationKey, reason: result.handoff.reason }, 'conversation handed to a person');
      }
      const u = result.understood;
      return {
        message, duplicate: result.duplicate, replies: result.replies, outboxIds: result.outboxIds,
        understood: { intent: u.intent, bargainer: u.intent === 'bargain' ? u.type : null, ...(u.resembled !== undefined ? { guessed: u.resembled } : {}) },
        ...(result.silenced || result.waiting ? { withPerson: true } : {}),
      };
    } catch (err) {
      // Two instances took the same redelivery at once: the unique index let one win.
      if (isUniqueViolation(err)) {
        deps.metrics.messages.inc({ shop: shop.id, outcome: 'duplicate' });
        return { message, duplicate: true, replies: [], outboxIds: [], understood: { intent: null, bargainer: null } };
      }
      throw err;
    }
  };
}
