import type { Problem } from '../errors.js';
import { locate } from './yaml.js';
import { foldText } from '../playbook/fold.js';
import type { LocatedYaml } from './yaml.js';
import type { ShopConfig } from './schema.js';

type Shop = Pick<ShopConfig, 'id' | 'channels' | 'alerts' | 'desk'> & Partial<Pick<ShopConfig, 'products'>>;

/**
 * Valid settings that still leave customers stranded, said before the first customer finds out:
 * a shop whose handed-over customers (转人工) reach nobody — no staff desk to answer them at, no
 * alert robot to tell staff, and no 微信客服 pool or servicer that shows them in the WeCom client.
 * They would wait in silence until the bot takes them back (找不到真人, domain.md §11).
 */
export function configWarnings(yaml: LocatedYaml, shops: readonly Shop[]): Problem[] {
  return [...shops.flatMap((shop, i) => shadowedProducts(yaml, shop, i)), ...shops.flatMap((shop, i) => {
    const platforms = Object.keys(shop.channels).filter((c) => c !== 'local' && shop.channels[c as keyof typeof shop.channels] !== undefined);
    const robot = shop.alerts.wecomRobotKey !== undefined || shop.alerts.feishuBot !== undefined;
    const inClient = shop.channels.wecomKf !== undefined && shop.channels.wecomKf.handoffTo !== 'desk';
    if (platforms.length === 0 || shop.desk !== undefined || robot || inClient) return [];
    const at = locate(yaml, ['shops', i, 'id']);
    return [{
      file: yaml.file, line: at.line, col: at.col, field: `shops.${i}`, severity: 'warning' as const,
      message: `customers shop ${shop.id} hands to a person (转人工) reach nobody: no staff desk (desk:), no alert robot (alerts:) — they wait until the bot takes them back; set one of them`,
    }];
  })];
}

/**
 * A products: entry no title can reach: the first entry whose word appears in a title wins, so an
 * entry all of whose words contain an earlier entry's word (洗衣凝珠 after 洗衣) never applies,
 * and its cycle would silently be the earlier one's.
 */
function shadowedProducts(yaml: LocatedYaml, shop: Shop, i: number): Problem[] {
  const products = shop.products ?? [];
  return products.flatMap((p, j) => {
    const earlier = products.slice(0, j).find((e) => p.match.every((w) => e.match.some((ew) => foldText(w).includes(foldText(ew)))));
    if (!earlier) return [];
    const at = locate(yaml, ['shops', i, 'products', j]);
    return [{
      file: yaml.file, line: at.line, col: at.col, field: `shops.${i}.products.${j}`, severity: 'warning' as const,
      message: `products entry ${p.match.join(', ')} never applies: the earlier entry ${earlier.match.join(', ')} (lasts ${earlier.lasts}) matches every title it would; put the longer words first`,
    }];
  });
}
