#!/usr/bin/env node
// Runs the compiled CLI (built by `npm install` via the prepare script, or `npm run build`).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = new URL('../dist/src/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  process.stderr.write('xiaoer is not built yet: run `npm run build` in the xiaoer folder first\n');
  process.exit(1);
}
// `xiaoer report | head`: the reader closing the pipe early is the end of the output, not a crash.
process.stdout.on('error', (err) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw err;
});
const { main } = await import(entry.href);
process.exitCode = await main(process.argv.slice(2));
