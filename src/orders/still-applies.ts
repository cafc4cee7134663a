import type { Kysely, Transaction } from 'kysely';
import { getOrder, paidAnotherSince } from '../db/orders.js';
import type { Database } from '../db/schema.js';
import type { CompiledPlaybook } from '../playbook/compiled.js';

/**
 * Why a proactive message about an order no longer fits now that it is about to go out, or null.
 * It was decided earlier — before quiet hours ended, before a platform error was retried — and
 * the order may have moved since: a 催付 for an order paid meanwhile must not go out (domain.md
 * §11: re-check payment just before sending). Its rule's order conditions are asked again.
 */
export async function noLongerApplies(
  q: Kysely<Database> | Transaction<Database>, playbook: CompiledPlaybook, shopId: string, ruleName: string, orderId: string,
): Promise<string | null> {
  const rule = playbook.rules.find((r) => r.name === ruleName);
  if (!rule || (rule.orderStates === undefined && rule.paidElsewhere !== false)) return null;
  const order = await getOrder(q, shopId, orderId);
  if (!order) return null;
  if (rule.orderStates && !rule.orderStates.has(order.state)) return `order ${orderId} is ${order.state} now: ${ruleName} no longer applies`;
  if (rule.paidElsewhere === false && order.state === 'created' && await paidAnotherSince(q, order)) {
    return `the customer paid another order since ${orderId}: ${ruleName} no longer applies`;
  }
  return null;
}
