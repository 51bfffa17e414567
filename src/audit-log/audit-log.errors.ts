import { DomainError } from '../platform/errors/domain-error.js';

/** The decision could not be logged: the access fails, nothing is changed. Never unaudited. */
export class AuditUnavailableError extends DomainError {
  constructor(
    readonly region: string,
    cause?: unknown,
  ) {
    super('audit_unavailable', 503, 'Audit log unavailable', {
      detail: `The decision log of region ${region} could not be written; nothing was done.`,
      extensions: { region },
      logLevel: 'error',
      cause,
    });
  }
}

/** A posted cosignature that is not one to keep (unknown checkpoint, no valid known witness). */
export class CosignatureRejectedError extends DomainError {
  constructor(detail: string) {
    super('cosignature_rejected', 422, 'Cosignature rejected', { detail });
  }
}
