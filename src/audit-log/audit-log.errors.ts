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
