import type { Handled } from '../adapters/types.js';
import type { ShopConfig } from './config/schema.js';
import { customerBatchKey } from './db/batch.js';
import type { WriteBatcher } from './db/batch.js';
import { isUniqueViolation } from './db/messages.js';
import { ingest } from './engine/ingest.js';
import type { Logger } from './log.js';
import type { PlaybookStore } from './playbook/store.js';
import type { InboundMessage } from './types/index.js';

export interface PipelineDeps {
  batcher: WriteBatcher;
  playbooks: PlaybookStore;
  log: Logger;
  random: () => number;
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
      if (result.handoff) {
        deps.log.info({ shop: shop.id, conversation: message.conversationKey, reason: result.handoff.reason }, 'conversation handed to a person');
      }
      const u = result.understood;
      return {
        message, duplicate: result.duplicate, replies: result.replies, outboxIds: result.outboxIds,
        understood: { intent: u.intent, bargainer: u.intent === 'bargain' ? u.type : null },
      };
    } catch (err) {
      // Two instances took the same redelivery at once: the unique index let one win.
      if (isUniqueViolation(err)) return { message, duplicate: true, replies: [], outboxIds: [], understood: { intent: null, bargainer: null } };
      throw err;
    }
  };
}
