import type { CompiledPlaybook } from '../playbook/compiled.js';
import { render } from './template.js';
import type { TemplateVars } from './template.js';

export interface QuickReply {
  /** The rules that send it (how staff know it: 发货时间, 退换政策…), message rules first. */
  rules: string[];
  response: string;
  /** Its variations, filled in (staff pick the one that fits). */
  texts: string[];
}

/**
 * The shop's saved answers (快捷语, domain.md §10) for a person at the desk: every playbook
 * response, filled in for this customer. Texts that need what only a rule knows (an order, a
 * gift, a slot) and have no default are left out rather than shown half filled; staff edit the
 * text before sending anyway.
 */
export function quickReplies(playbook: CompiledPlaybook, vars: TemplateVars): QuickReply[] {
  const users = new Map<string, { rules: string[]; message: boolean }>();
  for (const rule of playbook.rules) {
    if (!rule.enabled) continue;
    for (const action of rule.actions) {
      if (!('reply' in action)) continue;
      const u = users.get(action.reply) ?? { rules: [], message: false };
      if (!u.rules.includes(rule.name)) u.rules.push(rule.name);
      u.message ||= rule.event === 'message' || rule.event === 'first_message';
      users.set(action.reply, u);
    }
  }
  const out: (QuickReply & { message: boolean })[] = [];
  for (const [name, response] of playbook.responses) {
    const u = users.get(name);
    if (!u) continue; // no switched-on rule sends it: not the shop's answer today
    const texts = response.variations.map((v) => render(v, vars)).filter((t): t is string => t !== null);
    if (texts.length > 0) out.push({ rules: u.rules, response: name, texts, message: u.message });
  }
  // Answers to customers' questions first (what a person at the desk is doing), then order care.
  return out.sort((a, b) => Number(b.message) - Number(a.message)).map(({ message: _m, ...q }) => q);
}
