import { readEnvOptions } from '../config/env.js';
import type { ShopConfig } from '../config/schema.js';
import { migrateToLatest, openDb } from '../db/index.js';
import { settleLesson, waitingLessons } from '../db/lessons.js';
import { loadPlaybooks } from '../playbook/load.js';
import { teachOne } from './teach-one.js';

/**
 * `xiaoer teach --shop acme --from-desk`: every lesson staff taught at the desk (教机器人) and
 * not yet in the playbooks, put in them one after another the way `xiaoer teach` puts one —
 * each kept only if the playbooks still load — and marked with what became of it, which the
 * desk then shows under the message. Run it where the shop's playbook files live (and commit
 * them, if they are kept in git); `--dry-run` lists what waits and changes nothing.
 * Exit 1 when a lesson was refused (its reason is printed and shown at the desk).
 */
export async function teachFromDesk(shop: ShopConfig, dryRun: boolean): Promise<number> {
  const handle = openDb(readEnvOptions().databaseUrl);
  try {
    await migrateToLatest(handle.db);
    const lessons = await waitingLessons(handle.db, shop.id);
    if (lessons.length === 0) {
      process.stdout.write(`nothing taught at ${shop.id}'s desk waits to be added\n`);
      return 0;
    }
    process.stdout.write(`${lessons.length} lesson(s) taught at ${shop.id}'s desk ${dryRun ? 'wait to be added to' : 'go into'} ${shop.playbooksDir}:\n`);
    const counts = { added: 0, already: 0, refused: 0 };
    let loaded = loadPlaybooks(shop.playbooksDir);
    for (const l of lessons) {
      const head = `  #${l.id} ${l.staff}, ${when(l.at, shop.timezone)}: "${l.text}" → ${l.intent} (${l.as === 'phrase' ? 'a phrase: answered for certain' : 'an example: answered or offered by likeness'})`;
      if (dryRun) {
        process.stdout.write(`${head}\n`);
        continue;
      }
      const taught = teachOne(shop.playbooksDir, l.intent, l.text, l.as, loaded);
      loaded = taught.now;
      counts[taught.outcome] += 1;
      const detail = taught.outcome === 'refused' ? taught.reason : taught.where;
      // Settled only after the file is written: a crash in between leaves it waiting, and the next run finds it already there.
      await settleLesson(handle.db, l.id, taught.outcome, detail, Date.now());
      process.stdout.write(`${head}\n${indent(taught.outcome === 'refused' ? `refused: ${taught.reason}` : taught.said)}\n`);
    }
    if (dryRun) {
      process.stdout.write('nothing was changed; run without --dry-run to add them\n');
      return 0;
    }
    process.stdout.write(`${counts.added} added, ${counts.already} already there, ${counts.refused} refused`
      + `${counts.added ? '; a running service reloads the playbooks by itself (commit the playbook files if they are kept in git)' : ''}\n`);
    return counts.refused ? 1 : 0;
  } finally {
    await handle.close();
  }
}

function indent(text: string): string {
  return text.split('\n').map((line) => `      ${line}`).join('\n');
}

/** When staff taught it, in the shop's own time: 2026-11-29 10:03. */
function when(at: number, timeZone: string): string {
  return new Date(at).toLocaleString('sv-SE', { timeZone, hour12: false }).slice(0, 16);
}
