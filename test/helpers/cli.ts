import { vi } from 'vitest';

/**
 * What a CLI command prints, captured from here on (vi.restoreAllMocks ends it). Getters, so a
 * test reads what was written up to the moment it asks.
 */
export function captureOutput(): { readonly out: string; readonly err: string } {
  let out = '';
  let err = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((out += String(s)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((err += String(s)), true));
  return { get out() { return out; }, get err() { return err; } };
}
