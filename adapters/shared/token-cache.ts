/**
 * Access tokens per app, shared by every send. Platforms throttle token endpoints, so a token
 * is fetched once and reused until `refreshMarginMs` before it expires; concurrent callers
 * wait on the same fetch. `invalidate` is for tokens the platform revoked early.
 */
export interface Token {
  value: string;
  expiresAt: number;
}

export interface TokenCache {
  get(key: string, fetch: () => Promise<Token>): Promise<string>;
  invalidate(key: string, value?: string): void;
}

export function createTokenCache(clock: () => number, refreshMarginMs: number): TokenCache {
  const tokens = new Map<string, Token>();
  const inflight = new Map<string, Promise<Token>>();
  return {
    async get(key, fetch) {
      const t = tokens.get(key);
      if (t && t.expiresAt - refreshMarginMs > clock()) return t.value;
      let p = inflight.get(key);
      if (!p) {
        p = fetch().finally(() => inflight.delete(key));
        inflight.set(key, p);
      }
      const fresh = await p;
      tokens.set(key, fresh);
      return fresh.value;
    },
    invalidate(key, value) {
      // Only drop the token that failed: another request may already have refreshed it.
      if (value === undefined || tokens.get(key)?.value === value) tokens.delete(key);
    },
  };
}

/**
 * When to treat a freshly issued token as expired: `refreshBeforeMs` ahead of its end (the
 * platform's own advice), but never sooner than half its lifetime, so a short-lived token is
 * still reused.
 */
export function tokenExpiresAt(issuedAt: number, lifetimeMs: number, refreshBeforeMs: number): number {
  return issuedAt + lifetimeMs - Math.min(refreshBeforeMs, lifetimeMs / 2);
}
