import { parseArgs } from 'node:util';
import { cliConfig, pickShop } from './shops.js';
import { loadPlaybooks } from '../playbook/load.js';
import { teachFromDesk } from './teach-desk.js';
import { teachOne } from './teach-one.js';

const USAGE = 'usage: xiaoer teach --shop ID [--phrase] <intent> "<customer text>"  |  xiaoer teach --shop ID --from-desk [--dry-run]';

/**
 * `xiaoer teach --shop acme faq.shipping_time "多会儿能给我寄出来"`: a question `xiaoer report`
 * lists as not understood, put under the intent it meant — in examples.yml (offered as 您是想问
 * to messages like it), or with --phrase among the intent's phrases (answered directly). The
 * edit is kept only if the playbooks still load; the running service reloads them by itself.
 * `--from-desk` does the same for every lesson staff taught at the desk (教机器人) since the last run.
 */
export async function runTeach(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args, allowPositionals: true, strict: true,
    options: {
      shop: { type: 'string', short: 's' }, config: { type: 'string', short: 'c' }, phrase: { type: 'boolean' },
      'from-desk': { type: 'boolean' }, 'dry-run': { type: 'boolean' },
    },
  });
  const [intent, ...words] = positionals;
  const text = words.join(' ').trim();
  const fromDesk = values['from-desk'] === true;
  if (!values.shop || (fromDesk ? positionals.length > 0 || values.phrase : !intent || !text) || (values['dry-run'] && !fromDesk)) {
    process.stderr.write(`${USAGE}\n`);
    return 1;
  }
  const config = cliConfig(values.config);
  const picked = pickShop(config, values.shop, 'required');
  if ('error' in picked) {
    process.stderr.write(`teach: ${picked.error}\n`);
    return 1;
  }
  const { shop } = picked;
  const before = loadPlaybooks(shop.playbooksDir);
  if (!before.playbook) {
    process.stderr.write(`teach: the playbooks of ${shop.id} do not load now; fix them first (xiaoer check)\n`);
    return 1;
  }
  if (fromDesk) return teachFromDesk(shop, values['dry-run'] === true);
  const taught = teachOne(shop.playbooksDir, intent!, text, values.phrase ? 'phrase' : 'example', before);
  if (taught.outcome === 'refused') {
    process.stderr.write(`teach: ${taught.reason}\n`);
    return 1;
  }
  process.stdout.write(`${taught.said}\n`);
  if (taught.outcome === 'added') process.stdout.write('a running service reloads the playbooks by itself; xiaoer explain shows how a message is read now\n');
  return 0;
}
