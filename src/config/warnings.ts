import type { Problem } from '../errors.js';
import { locate } from './yaml.js';
import type { LocatedYaml } from './yaml.js';
import type { ShopConfig } from './schema.js';

type Shop = Pick<ShopConfig, 'id' | 'channels' | 'alerts' | 'desk'>;

/**
 * Valid settings that still leave customers stranded, said before the first customer finds out:
 * a shop whose handed-over customers (转人工) reach nobody — no staff desk to answer them at, no
 * alert robot to tell staff, and no 微信客服 pool or servicer that shows them in the WeCom client.
 * They would wait in silence until the bot takes them back (找不到真人, domain.md §11).
 */
export function configWarnings(yaml: LocatedYaml, shops: readonly Shop[]): Problem[] {
  return shops.flatMap((shop, i) => {
    const platforms = Object.keys(shop.channels).filter((c) => c !== 'local' && shop.channels[c as keyof typeof shop.channels] !== undefined);
    const robot = shop.alerts.wecomRobotKey !== undefined || shop.alerts.feishuBot !== undefined;
    const inClient = shop.channels.wecomKf !== undefined && shop.channels.wecomKf.handoffTo !== 'desk';
    if (platforms.length === 0 || shop.desk !== undefined || robot || inClient) return [];
    const at = locate(yaml, ['shops', i, 'id']);
    return [{
      file: yaml.file, line: at.line, col: at.col, field: `shops.${i}`, severity: 'warning' as const,
      message: `customers shop ${shop.id} hands to a person (转人工) reach nobody: no staff desk (desk:), no alert robot (alerts:) — they wait until the bot takes them back; set one of them`,
    }];
  });
}
