/**
 * Every error the service raises on purpose, each with a stable `code` that logs,
 * metrics and tests can rely on. `cause` is kept so nothing is lost when wrapping.
 */
export type ErrorCode =
  | 'CONFIG_INVALID'
  | 'CONFIG_MISSING_ENV'
  | 'PLAYBOOK_INVALID'
  | 'BAD_REQUEST'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'RATE_LIMITED'
  | 'PLATFORM_API'
  | 'DB'
  | 'INTERNAL';

export class XiaoerError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = 'XiaoerError';
  }
}

/** One located problem in a YAML file: what staff need to find and fix it. */
export interface Problem {
  file: string;
  line: number;
  col: number;
  field: string;
  message: string;
  severity: 'error' | 'warning';
}

export function formatProblem(p: Problem): string {
  const field = p.field ? `${p.field}: ` : '';
  return `${p.file}:${p.line}:${p.col}: ${p.severity}: ${field}${p.message}`;
}

/** Config or playbooks that failed validation; carries every problem found, not just the first. */
export class ValidationError extends XiaoerError {
  readonly problems: readonly Problem[];
  constructor(code: 'CONFIG_INVALID' | 'PLAYBOOK_INVALID' | 'CONFIG_MISSING_ENV', problems: Problem[]) {
    super(code, problems.map(formatProblem).join('\n'));
    this.problems = problems;
    this.name = 'ValidationError';
  }
}

/** Bad input from a caller: becomes an HTTP 4xx with `reason`, never a 5xx — except 502, a platform that failed a request made for the caller. */
export class RequestError extends XiaoerError {
  readonly status: RequestStatus;
  /** Response headers the refusal needs (WWW-Authenticate on a 401 that should prompt for a password). */
  readonly headers: Readonly<Record<string, string>>;
  constructor(status: RequestStatus, reason: string, options?: { cause?: unknown; headers?: Record<string, string> }) {
    super(CODES[status], reason, options);
    this.status = status;
    this.headers = options?.headers ?? {};
    this.name = 'RequestError';
  }
}

export type RequestStatus = 400 | 401 | 403 | 404 | 413 | 415 | 429 | 502;
const CODES: Record<RequestStatus, ErrorCode> = {
  400: 'BAD_REQUEST', 401: 'UNAUTHORIZED', 403: 'FORBIDDEN', 404: 'NOT_FOUND', 413: 'BAD_REQUEST', 415: 'BAD_REQUEST', 429: 'RATE_LIMITED', 502: 'PLATFORM_API',
};
