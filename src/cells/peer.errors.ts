import { DomainError } from '../platform/errors/domain-error.js';

/** The cell serving a region did not answer (down, refusing, or slower than its timeout): 503. */
export class PeerUnavailableError extends DomainError {
  constructor(
    readonly region: string,
    /** The call had been sent (a write may have been applied there, unconfirmed). */
    sent: boolean,
    cause?: unknown,
  ) {
    super('region_unavailable', 503, 'Region unavailable', {
      detail: sent
        ? `The gateway of region ${region} did not answer in time; a change sent to it may or may not have been applied.`
        : `The gateway of region ${region} cannot be reached; nothing was sent to it.`,
      extensions: { region },
      headers: { 'Retry-After': '1' },
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
