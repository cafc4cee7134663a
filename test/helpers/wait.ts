/** Polls `check` until it holds (a file watcher reloading playbooks, say), failing after `timeoutMs`. */
export async function waitFor(check: () => Promise<boolean>, timeoutMs = 8000, everyMs = 100): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`condition not met in ${timeoutMs} ms`);
}
