import { createPlatformHttp } from '../../adapters/shared/http.js';
import { shopRobots } from '../../adapters/shared/robots.js';
import { readEnvOptions } from '../config/env.js';
import { cliConfig, pickShop } from './shops.js';
import { withoutSecrets } from './redact.js';

/**
 * `xiaoer alerts test --shop ID`: one test message to each staff-group robot of the shop, sent
 * at once and not stored, so whoever sets up alerts sees in the group that they arrive (and, if
 * not, the robot's own answer) before the first real 转人工 depends on it.
 */
export async function runAlertsTest(shopId: string): Promise<number> {
  const env = readEnvOptions();
  const config = cliConfig();
  const picked = pickShop(config, shopId, 'required');
  if ('error' in picked) {
    process.stderr.write(`${picked.error}\n`);
    return 1;
  }
  const { shop } = picked;
  const robots = shopRobots(shop.alerts, { http: createPlatformHttp(), wecomBase: env.apiBase.wecom, now: Date.now });
  if (robots.length === 0) {
    process.stderr.write(`shop ${shopId} has no alert robot: set alerts.wecomRobotKey or alerts.feishuBot in ${config.file}\n`);
    return 1;
  }
  const at = new Date().toLocaleString('zh-CN', { timeZone: shop.timezone, hour12: false });
  const text = `**店小二测试消息**\n> ${shop.name}（${shop.id}）的员工提醒已接通：转人工、等待人工、差评和未送达的回复会发到这里。\n> 发送时间 ${at}`;
  const secrets = [shop.alerts.wecomRobotKey, shop.alerts.feishuBot?.url, shop.alerts.feishuBot?.secret];
  let failed = 0;
  for (const robot of robots) {
    const r = await robot.send(text);
    if (r.ok) process.stdout.write(`${robot.name} robot: test message sent — check the staff group\n`);
    else {
      failed += 1;
      process.stdout.write(`${robot.name} robot: FAILED  ${withoutSecrets(r.reason, secrets)}\n`);
    }
  }
  return failed ? 1 : 0;
}
