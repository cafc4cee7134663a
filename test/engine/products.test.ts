import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { emptyState } from '../../src/db/conversations.js';
import { decide } from '../../src/engine/decide.js';
import type { OrderView } from '../../src/engine/decide.js';
import { firstUsedUp, productOf, sameProduct } from '../../src/engine/products.js';
import { ValidationError } from '../../src/errors.js';
import type { CompiledPlaybook } from '../../src/playbook/compiled.js';
import { loadPlaybooks } from '../../src/playbook/load.js';

const DAY = 86_400_000;
const PRODUCTS = [{ match: ['洗衣凝珠', '洗衣液'], lasts: '30d' }, { match: ['猫粮'], lasts: '45d' }, { match: ['Shampoo'], lasts: '12h' }];
const item = (title: string, qty = 1) => ({ title, qty, price: 10 });
const NOW = new Date('2026-11-27T02:00:00Z');
const SHOP = { id: 'acme', name: '阿克米', timezone: 'Asia/Shanghai', businessHours: { from: '09:00', to: '23:00' } };

/** A playbook directory of these files (name → YAML), loaded: the playbook and its problems. */
function load(files: Record<string, string>) {
  const dir = mkdtempSync(join(tmpdir(), 'xiaoer-products-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return loadPlaybooks(dir, dir);
}

/** What the engine decides at NOW for an order event (or a message, with text) about an order of these items. */
function decideOn(playbook: CompiledPlaybook, o: {
  items?: OrderView['items']; total?: number; event?: string; text?: string; rule?: string; purchasedAt?: number[]; products?: typeof PRODUCTS;
}) {
  return decide({
    shop: { ...SHOP, ...(o.products ? { products: o.products } : {}) }, playbook,
    message: o.event ? { text: null, kind: 'event', channel: 'local', event: o.event } : { text: o.text ?? null, kind: 'text', channel: 'local' },
    ...(o.rule ? { scheduledRule: o.rule } : {}),
    ...(o.items ? { order: { id: 'O1', state: 'signed', total: o.total ?? 10, items: o.items, signedAt: NOW.getTime() } } : {}),
    customer: { name: null, firstSeenAt: 0, tags: [], tier: null, ...(o.purchasedAt ? { purchasedAt: o.purchasedAt } : {}) },
    conversation: { isNew: false }, state: emptyState(), now: NOW, random: () => 0,
  });
}

describe('product cycles (domain.md §9)', () => {
  it('finds an item\'s product by the words of its title, the first listed winning, case-insensitively', () => {
    expect(productOf('洗衣凝珠 52颗 薰衣草', PRODUCTS)?.lasts).toBe('30d');
    expect(productOf('SHAMPOO 500ml', PRODUCTS)?.lasts).toBe('12h');
    expect(productOf('纯棉T恤', PRODUCTS)).toBeUndefined();
  });

  it('an order runs out when its first listed item does, each lasting its cycle × quantity; ties are named together', () => {
    expect(firstUsedUp([item('猫粮 2kg'), item('洗衣凝珠', 2), item('纯棉T恤')], PRODUCTS)).toEqual({ ms: 45 * DAY, titles: ['猫粮 2kg'] });
    expect(firstUsedUp([item('猫粮 2kg', 2), item('洗衣凝珠', 3)], PRODUCTS)).toEqual({ ms: 90 * DAY, titles: ['猫粮 2kg', '洗衣凝珠'] });
    expect(firstUsedUp([item('纯棉T恤')], PRODUCTS)).toBeUndefined();
    expect(firstUsedUp([item('洗衣凝珠')], [])).toBeUndefined();
  });

  it('the same product is the same listed entry (another size of it counts), else the same title', () => {
    expect(sameProduct('洗衣凝珠 52颗', '洗衣液 2kg', PRODUCTS)).toBe(true);
    expect(sameProduct('洗衣凝珠 52颗', '猫粮 2kg', PRODUCTS)).toBe(false);
    expect(sameProduct('纯棉T恤 ', '纯棉t恤', PRODUCTS)).toBe(true);
    expect(sameProduct('纯棉T恤', '羊毛围巾', PRODUCTS)).toBe(false);
  });
});

describe('schedule: { beforeUsedUp }', () => {
  const playbook = load({ 'orders.yml': `rules:
  - name: 签收
    when: { event: order.signed }
    then:
      - schedule: { rule: 复购, beforeUsedUp: 3d }
      - schedule: { rule: 复购-兜底, beforeUsedUp: 3d, after: 20d }
  - name: 复购
    when: { event: schedule }
    then: [{ reply: again }]
  - name: 复购-兜底
    when: { event: schedule }
    then: [{ reply: again }]
responses:
  again: ["「{{order.runningOut}}」快用完了"]
` }).playbook!;
  const run = (items: OrderView['items'], event = 'order.signed', rule?: string) => decideOn(playbook, { items, event, ...(rule ? { rule } : {}), products: PRODUCTS });

  it('comes due the lead before the product runs out, counted from now; `after` only for orders with no listed product', () => {
    expect(run([item('洗衣凝珠', 2)]).schedules.map((s) => [s.rule, (s.dueAt - NOW.getTime()) / DAY])).toEqual([['复购', 57], ['复购-兜底', 57]]);
    expect(run([item('纯棉T恤')]).schedules.map((s) => [s.rule, (s.dueAt - NOW.getTime()) / DAY])).toEqual([['复购-兜底', 20]]);
    // Lasting less than the lead: nothing to remind before (and no fallback either: it is listed).
    expect(run([item('Shampoo')]).schedules).toEqual([]);
  });

  it('names what runs out first in {{order.runningOut}}, every item when none is listed', () => {
    expect(run([item('纯棉T恤'), item('猫粮 2kg'), item('洗衣凝珠')], 'schedule', '复购').replies[0]!.text).toBe('「洗衣凝珠」快用完了');
    expect(run([item('纯棉T恤'), item('羊毛围巾')], 'schedule', '复购').replies[0]!.text).toBe('「纯棉T恤、羊毛围巾」快用完了');
  });

  it('is refused beside at or beforeClose, at its line', () => {
    const { problems } = load({ 'a.yml': 'rules:\n  - name: a\n    when: { event: order.signed }\n    then:\n      - schedule: { rule: a, beforeUsedUp: 3d, at: "10:00" }\nresponses: {}\n' });
    expect(problems.map((p) => [p.line, p.message])).toContainEqual([5, expect.stringContaining('beforeUsedUp goes alone or with after')]);
  });
});

describe('xiaoer.yml products:', () => {
  const base = 'shops:\n  - id: acme\n    name: 阿克米\n    channels: { local: {} }\n';
  it('takes one word or a list, and refuses a cycle that is no duration at its line', () => {
    const cfg = parseConfig('/x.yml', `${base}    products:\n      - { match: 猫粮, lasts: 45d }\n      - { match: [洗衣凝珠, 洗衣液], lasts: 30d }\n`, {});
    expect(cfg.shops[0]!.products).toEqual([{ match: ['猫粮'], lasts: '45d' }, { match: ['洗衣凝珠', '洗衣液'], lasts: '30d' }]);
    let err: unknown;
    try {
      parseConfig('/x.yml', `${base}    products:\n      - { match: 猫粮, lasts: 一个月 }\n`, {});
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).problems).toEqual([expect.objectContaining({ line: 6, field: 'shops.0.products.0.lasts', message: expect.stringContaining('use a duration like 30d') })]);
  });
});

describe('when: { purchases }', () => {
  const playbook = load({
    'a.yml': `rules:
  - name: 常客
    when: { keywords: [你好], purchases: { atLeast: 3, within: 180d } }
    then: [{ reply: regular }]
  - name: 首单
    when: { keywords: [你好], purchases: { atMost: 1 } }
    then: [{ reply: first }]
responses:
  regular: [常客您好]
  first: [新朋友您好]
fallback: { reply: other }
`,
    'b.yml': 'responses:\n  other: [您好]\n',
  }).playbook!;
  const greet = (daysAgo: number[]) => decideOn(playbook, { text: '你好', purchasedAt: daysAgo.map((d) => NOW.getTime() - d * DAY) }).replies.map((r) => r.text);

  it('counts the paid orders bought within the window; atMost without one counts them all', () => {
    expect(greet([1, 30, 179])).toEqual(['常客您好']);
    expect(greet([1, 30, 181])).toEqual(['您好']);
    expect(greet([400])).toEqual(['新朋友您好']);
    expect(greet([])).toEqual(['新朋友您好']);
  });

  it('needs atLeast or atMost, said at its line', () => {
    expect(load({ 'a.yml': 'rules:\n  - name: a\n    when:\n      purchases: { within: 30d }\n    then: [{ reply: x }]\nresponses:\n  x: [好]\n' }).problems.map((p) => [p.line, p.message])).toContainEqual([4, expect.stringContaining('give atLeast and/or atMost')]);
  });
});

describe('when: { items, orderTotal }', () => {
  const playbook = load({ 'a.yml': `rules:
  - name: 凝珠说明
    when: { event: order.signed, items: [洗衣凝珠, PODS] }
    then: [{ reply: pods }]
  - name: 大单
    when: { event: order.signed, orderTotal: { atLeast: 100, atMost: 500 } }
    then: [{ reply: big }]
  - name: 其他
    when: { event: order.signed }
    then: [{ reply: other }]
  - name: 问凝珠
    when: { keywords: [怎么用], items: [洗衣凝珠] }
    then: [{ reply: pods }]
responses:
  pods: [凝珠这样用]
  big: [大单感谢]
  other: [签收了]
` }).playbook!;
  const decideWith = (items: OrderView['items'], total: number, message: { text: string | null; event?: string }) =>
    decideOn(playbook, { items, total, ...(message.event ? { event: message.event } : { text: message.text ?? '' }) }).replies.map((r) => r.text);

  it('reads the order\'s item titles (any item, case-folded) and its amount', () => {
    expect(decideWith([item('纯棉T恤'), item('洗衣凝珠 52颗')], 30, { text: null, event: 'order.signed' })).toEqual(['凝珠这样用']);
    expect(decideWith([item('Laundry pods')], 30, { text: null, event: 'order.signed' })).toEqual(['凝珠这样用']);
    expect(decideWith([item('纯棉T恤')], 100, { text: null, event: 'order.signed' })).toEqual(['大单感谢']);
    expect(decideWith([item('纯棉T恤')], 500.01, { text: null, event: 'order.signed' })).toEqual(['签收了']);
    expect(decideWith([item('洗衣凝珠')], 30, { text: '这个怎么用' })).toEqual(['凝珠这样用']); // a message reads its order in view
  });
});

describe('follow-ups for goods', () => {
  const playbook = load({ 'a.yml': `rules:
  - name: 签收
    when: { event: order.signed }
    then:
      - schedule: { rule: 说明, after: 1d }
      - schedule: { rule: 大单回访, after: 7d }
  - name: 说明
    when: { event: schedule, items: [洗衣凝珠] }
    then: [{ reply: how }]
  - name: 大单回访
    when: { event: schedule, orderTotal: { atLeast: 100 } }
    then: [{ reply: how }]
responses:
  how: [这样用]
` }).playbook!;
  const planned = (items: OrderView['items'], total: number) => decideOn(playbook, { items, total, event: 'order.signed' }).schedules.map((s) => s.rule);

  it('are planned only for orders with those goods and that amount: the rest would come due to do nothing', () => {
    expect(planned([item('洗衣凝珠 52颗')], 39)).toEqual(['说明']);
    expect(planned([item('纯棉T恤')], 199)).toEqual(['大单回访']);
    expect(planned([item('纯棉T恤')], 39)).toEqual([]);
  });
});
