import { DomainError } from '../platform/errors/domain-error.js';

/** A region's KMS cannot be used right now. Fails closed: 503, nothing written. */
export class KmsUnavailableError extends DomainError {
  constructor(
    readonly region: string,
    cause?: unknown,
  ) {
    super('kms_unavailable', 503, 'KMS unavailable', {
      detail: `The KMS of region ${region} is unavailable; nothing was written.`,
      extensions: { region },
      logLevel: 'warn',
      cause,
    });
  }
}

/** As many calls are in flight to a region's KMS as it may have (a slow KMS): 503 at once. */
export class KmsOverloadedError extends DomainError {
  constructor(
    readonly region: string,
    cause?: unknown,
  ) {
    super('kms_overloaded', 503, 'KMS overloaded', {
      detail: `Too many calls are waiting on the KMS of region ${region}; nothing was written. Retry shortly.`,
      extensions: { region },
      headers: { 'Retry-After': '1' },
      logLevel: 'warn',
      cause,
    });
  }
}

/** A wrapped key that KMS refuses to unwrap: altered, or presented with the wrong context. */
export class WrappedKeyIntegrityError extends DomainError {
  constructor(cause?: unknown) {
    super('integrity_violation', 500, 'Integrity violation', {
      detail: 'A stored key failed its integrity check.',
      logLevel: 'error',
      cause,
    });
  }
}

/**
 * A KMS call naming a key other than the region's pinned key. Raised before the request
 * leaves the process: a region's client can never touch another region's key.
 */
export class ForeignKmsKeyError extends Error {
  constructor(region: string, field: string) {
    super(
      `the KMS client of region ${region} refused a request whose ${field} is not the region's key`,
    );
    this.name = 'ForeignKmsKeyError';
  }
}
