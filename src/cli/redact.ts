/**
 * A platform or network error may quote the request it failed on; CLI output must not carry a
 * credential (operators paste it into tickets and chats). Each given value is cut out.
 */
export function withoutSecrets(message: string, secrets: readonly (string | undefined)[]): string {
  let out = message;
  for (const s of secrets) if (s && s.length >= 4) out = out.split(s).join('[redacted]');
  return out;
}

/** The credential-like values of a config block: keys naming a secret, key or token. */
export function secretValues(cfg: unknown): string[] {
  return Object.entries(cfg as Record<string, unknown>)
    .filter(([key, value]) => typeof value === 'string' && /secret|key|token/i.test(key))
    .map(([, value]) => value as string);
}
