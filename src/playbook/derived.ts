import type { CompiledPlaybook } from './compiled.js';

/**
 * A value derived from a compiled playbook (an index, a set of rule names), built the first time
 * it is asked for and kept as long as that playbook is: an edit compiles a new playbook, which
 * gets its own. Hot paths use these instead of scanning a playbook's thousands of rules per message.
 */
export function perPlaybook<T>(build: (playbook: CompiledPlaybook) => T): (playbook: CompiledPlaybook) => T {
  const cache = new WeakMap<CompiledPlaybook, T>();
  return (playbook) => {
    if (cache.has(playbook)) return cache.get(playbook) as T;
    const value = build(playbook);
    cache.set(playbook, value);
    return value;
  };
}
