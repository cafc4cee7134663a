import { pino } from 'pino';
import type { DestinationStream, Logger } from 'pino';

/**
 * Secrets never reach logs: we never log config objects, and these paths are redacted in
 * case a caller passes one by mistake.
 */
const REDACT = [
  'appSecret', 'encryptKey', 'verificationToken', 'secret', 'token', 'access_token', 'tenant_access_token',
  '*.appSecret', '*.encryptKey', '*.verificationToken', '*.secret', '*.token', '*.access_token', '*.tenant_access_token',
  'headers.authorization', 'req.headers.authorization',
];

export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino({ level, base: { service: 'xiaoer' }, redact: { paths: REDACT, censor: '[redacted]' } }, destination);
}

export type { Logger };
