import { DomainError } from '../platform/errors/domain-error.js';

/**
 * The cell serving a region did not answer (down, refusing, or slower than its timeout) a call
 * that changes nothing, or that it never received: 503, nothing was done there.
 */
export class PeerUnavailableError extends DomainError {
  constructor(
    readonly region: string,
    cause?: unknown,
  ) {
    super('region_unavailable', 503, 'Region unavailable', {
      detail: `The gateway of region ${region} did not answer; nothing was changed there.`,
      extensions: { region },
      headers: { 'Retry-After': '1' },
      logLevel: 'warn',
      cause,
    });
  }
}

/**
 * A change was sent to the cell serving a region, and no answer came back in time: it may or
 * may not have been applied there (the caller may read to find out, or repeat a PUT). Never
 * retried by the gateway.
 */
export class PeerOutcomeUnknownError extends DomainError {
  constructor(
    readonly region: string,
    cause?: unknown,
  ) {
    super('commit_outcome_unknown', 503, 'Commit outcome unknown', {
      detail: `The gateway of region ${region} did not answer a change sent to it; it may or may not have been applied.`,
      extensions: { region },
      logLevel: 'warn',
      cause,
    });
  }
}

/** A call on the peer port that does not come from a trusted peer cell, or names a caller its token does not. */
export class PeerRefusedError extends DomainError {
  constructor(code: 'peer_not_trusted' | 'forwarded_caller_mismatch', detail: string) {
    super(code, 403, 'Forwarded call refused', { detail, logLevel: 'warn' });
  }
}

/** A peer answered something a cell cannot pass on (e.g. malformed JSON for a query part). */
export class PeerProtocolError extends DomainError {
  constructor(readonly region: string) {
    super('peer_protocol_error', 502, 'Bad answer from a peer cell', {
      detail: `The gateway of region ${region} answered something this gateway cannot use.`,
      extensions: { region },
      logLevel: 'error',
    });
  }
}
