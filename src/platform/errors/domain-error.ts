/** How loudly the global filter logs an error: a policy denial or bad input is not an incident. */
export type ErrorLogLevel = 'none' | 'info' | 'warn' | 'error';

export interface DomainErrorOptions {
  /** Human-readable explanation for this occurrence. Never carries subject ids or record data. */
  detail?: string;
  /** Extra members for the problem document, e.g. the list of invalid fields. */
  extensions?: Record<string, unknown>;
  logLevel?: ErrorLogLevel;
  /** Extra response headers, e.g. `WWW-Authenticate`. */
  headers?: Record<string, string>;
  cause?: unknown;
}

/**
 * An error with a stable machine-readable code and an HTTP status. Feature modules throw
 * subclasses; one global filter turns them into RFC 9457 problem documents.
 */
export class DomainError extends Error {
  readonly detail: string | undefined;
  readonly extensions: Record<string, unknown>;
  readonly logLevel: ErrorLogLevel;
  readonly headers: Record<string, string>;

  constructor(
    readonly code: string,
    readonly status: number,
    readonly title: string,
    options: DomainErrorOptions = {},
  ) {
    super(options.detail ?? title, options.cause === undefined ? {} : { cause: options.cause });
    this.name = new.target.name;
    this.detail = options.detail;
    this.extensions = options.extensions ?? {};
    this.logLevel = options.logLevel ?? (status >= 500 ? 'error' : 'none');
    this.headers = options.headers ?? {};
  }
}

/** A request the gateway cannot parse or that violates the shape of the API: 400. */
export class InvalidRequestError extends DomainError {
  constructor(detail: string, extensions: Record<string, unknown> = {}) {
    super('invalid_request', 400, 'Invalid request', { detail, extensions });
  }
}

/** Well-formed but semantically unacceptable input: 422. */
export class UnprocessableError extends DomainError {
  constructor(
    code: string,
    title: string,
    detail: string,
    extensions: Record<string, unknown> = {},
  ) {
    super(code, 422, title, { detail, extensions });
  }
}

export class NotFoundError extends DomainError {
  constructor(code: string, title: string, detail?: string) {
    super(code, 404, title, detail === undefined ? {} : { detail });
  }
}

/** A region's store (or later its KMS) cannot serve the request; nothing was written: 503. */
export class RegionUnavailableError extends DomainError {
  constructor(
    readonly region: string,
    cause?: unknown,
  ) {
    super('region_unavailable', 503, 'Region unavailable', {
      detail: `The store of region ${region} is unavailable; nothing was written.`,
      extensions: { region },
      logLevel: 'warn',
      cause,
    });
  }
}

/**
 * The store went away while committing: the work was done and COMMIT sent, but no answer came.
 * The write may or may not have taken effect; the caller may read to find out, or repeat it
 * (a PUT of the same record is safe to repeat).
 */
export class CommitOutcomeUnknownError extends DomainError {
  constructor(
    readonly region: string,
    cause?: unknown,
  ) {
    super('commit_outcome_unknown', 503, 'Commit outcome unknown', {
      detail: `The store of region ${region} did not confirm the commit; the change may or may not have been applied.`,
      extensions: { region },
      logLevel: 'warn',
      cause,
    });
  }
}

/**
 * The request's budget (GATEWAY_REQUEST_TIMEOUT_MS) ran out before its next dependency call:
 * nothing more was attempted; anything it wrote was in a transaction that was not committed.
 */
export class RequestTimeoutError extends DomainError {
  constructor() {
    super('request_timeout', 503, 'Request timed out', {
      detail: 'The request used up its time budget before it could finish; nothing was written.',
      headers: { 'Retry-After': '1' },
      logLevel: 'warn',
    });
  }
}

/** Too many calls already waiting on the region's store: 503 at once, retry after a moment. */
export class RegionOverloadedError extends DomainError {
  constructor(
    readonly region: string,
    cause?: unknown,
  ) {
    super('region_overloaded', 503, 'Region overloaded', {
      detail: `Too many requests are waiting on the store of region ${region}; nothing was written. Retry shortly.`,
      extensions: { region },
      headers: { 'Retry-After': '1' },
      logLevel: 'warn',
      cause,
    });
  }
}
