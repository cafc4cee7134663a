import { parseArgs } from 'node:util';
import { ValidationError, XiaoerError } from '../errors.js';
import { runAlerts } from './alerts.js';
import { runBackup } from './backup.js';
import { runCheck } from './check.js';
import { runCustomers } from './customers.js';
import { runExplain } from './explain.js';
import { runReplay } from './replay.js';
import { runFaq } from './faq.js';
import { runHandoff } from './handoff.js';
import { runJobs } from './jobs.js';
import { runProducts } from './products.js';
import { runOrders } from './orders.js';
import { runReport } from './report.js';
import { runTeach } from './teach.js';
import { runTest } from './test.js';
import { runMigrate } from './migrate.js';
import { runNotify } from './notify.js';
import { runServe } from './serve.js';
import { runSimulate } from './simulate.js';

const USAGE = `xiaoer — 店小二, customer-service bot for online shops

Usage:
  xiaoer serve                      start the service (PORT, DATABASE_URL, XIAOER_CONFIG)
  xiaoer check [--config FILE] [--rules] [--live]
                                    validate config and playbooks; exit 1 on errors
                                    (--rules prints every shop's rules in firing order;
                                    --live asks the platforms whether the credentials work)
  xiaoer test [--shop ID]           play the *.test.yml conversations against the playbooks
  xiaoer explain "<text>" [--shop ID]
                                    how the bot reads a message: normalized text, words, intents
  xiaoer teach --shop ID [--phrase] <intent> "<text>"
                                    put a question the bot did not understand under the intent
                                    it meant: in examples.yml (您是想问; answered outright when
                                    very alike: answerAbove), or --phrase among the
                                    intent's phrases (answered directly); kept only if it loads
  xiaoer teach --shop ID --from-desk [--dry-run]
                                    the same for every question staff taught at the desk
                                    (教机器人) since the last run
  xiaoer replay --shop ID --draft DIR [--days N] [--all] [--json]
                                    the shop's real customer messages of the last days (default 7)
                                    read with a draft of the playbooks: every one it would answer
                                    differently than the playbooks running now
  xiaoer faq import FILE.csv --out DIR/FILE.yml [--force]
                                    the shop's FAQ sheet (问题, 关键词, 回答) as a playbook file,
                                    checked before it is kept; meant for a draft folder
  xiaoer simulate --shop ID [--user NAME] [--url URL] [--no-why]
                                    chat with a shop's bot through the running service
  xiaoer handoff list [--shop ID]   conversations a person has (the bot is silent there)
  xiaoer handoff release --shop ID <conversation>
                                    give a conversation back to the bot
  xiaoer orders import FILE.jsonl --shop ID
                                    backfill orders from past events (no messages are sent)
  xiaoer customers list --shop ID --tag TAG | show|tag|untag|tier|export|forget --shop ID --channel C --user U [...]
                                    a customer's tags (黑名单, 老客户) and membership tier; export
                                    is a copy of all that is stored about them, forget deletes it (--yes)
  xiaoer alerts list [--shop ID] [--state pending|sent|failed] [--limit N] [--json]
                                    staff alerts and which robots got them
  xiaoer alerts retry --shop ID [ALERT_ID ...]
                                    send failed alerts again (after fixing a robot)
  xiaoer alerts test --shop ID      a test message to each of the shop's alert robots
  xiaoer report [--shop ID] [--days N | --from DATE [--to DATE]] [--json | --faq-sheet FILE.csv]
                                    reception, response times, 询单转化率, 催付 results and
                                    the questions the bot did not understand, with what staff
                                    answered them with at the desk (default: 7 days;
                                    without --shop, every shop)
  xiaoer products --shop ID [--since 365d] [--json]
                                    how long each item lasts its buyers (days to buying it again),
                                    learned from paid orders, beside xiaoer.yml's products: cycles
                                    that 复购提醒 uses
  xiaoer jobs list [--shop ID] [--state pending|skipped|cancelled|done] [--limit N] [--json]
                                    pending follow-ups: due time, rule, customer, order;
                                    --state skipped: the latest that did not go out, and why
  xiaoer notify --shop ID --rule RULE (--tag TAG | --all | --orders O1,O2 | --orders-file FILE)
         [--seen-within 90d] [--bought-within 180d] [--start "YYYY-MM-DD HH:MM"] [--over 3h] [--dry-run]
                                    send a follow-up rule to customers with a tag (到货通知), to the
                                    shop's customers (节日问候, 上新通知, 意见征集) or to the customers
                                    of these orders (发货延迟致歉); many are spread over time;
                                    --dry-run: who would get it and what it says
  xiaoer notify --shop ID --rule RULE --status | --cancel
                                    how its notices stand; stop the ones not yet sent
  xiaoer migrate [--down]           apply database migrations (or revert the last one)
  xiaoer backup FILE                a consistent copy of the SQLite database, while the service runs
`;

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'serve':
        return await runServe(rest);
      case 'check':
        return await runCheck(rest);
      case 'simulate':
        return await runSimulate(rest);
      case 'migrate':
        return await runMigrate(rest);
      case 'test':
        return await runTest(rest);
      case 'handoff':
        return await runHandoff(rest);
      case 'explain':
        return await runExplain(rest);
      case 'teach':
        return await runTeach(rest);
      case 'replay':
        return await runReplay(rest);
      case 'faq':
        return await runFaq(rest);
      case 'orders':
        return await runOrders(rest);
      case 'products':
        return await runProducts(rest);
      case 'jobs':
        return await runJobs(rest);
      case 'notify':
        return await runNotify(rest);
      case 'alerts':
        return await runAlerts(rest);
      case 'report':
        return await runReport(rest);
      case 'backup':
        return await runBackup(rest);
      case 'customers':
        return await runCustomers(rest);
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        process.stdout.write(USAGE);
        return command === undefined ? 1 : 0;
      default:
        process.stderr.write(`unknown command "${command}"\n\n${USAGE}`);
        return 1;
    }
  } catch (err) {
    if (err instanceof ValidationError) process.stderr.write(`${err.message}\n`);
    else if (err instanceof XiaoerError) process.stderr.write(`error ${err.code}: ${err.message}\n`);
    else if (err instanceof TypeError && (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) process.stderr.write(`${err.message}\n\n${USAGE}`);
    else process.stderr.write(`${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
    return 1;
  }
}

export { parseArgs };
