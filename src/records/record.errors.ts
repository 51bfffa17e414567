import {
  DomainError,
  InvalidRequestError,
  NotFoundError,
} from '../platform/errors/domain-error.js';

export class MalformedRecordIdError extends DomainError {
  constructor() {
    super('malformed_record_id', 400, 'Malformed record id', {
      detail: 'Record ids are 1 to 128 characters of A-Z a-z 0-9 . _ ~ -',
    });
  }
}

export class RecordNotFoundError extends NotFoundError {
  constructor() {
    super('record_not_found', 'Record not found');
  }
}

/** `If-Match` / `If-None-Match` did not hold: nothing was changed. */
export class VersionConflictError extends DomainError {
  constructor(currentVersion: number | null) {
    super('version_conflict', 412, 'Version conflict', {
      detail:
        currentVersion === null
          ? 'The record does not exist (If-Match requires it to).'
          : `The record is at version ${String(currentVersion)}; nothing was changed.`,
      extensions: { currentVersion },
    });
  }
}

export class MalformedPreconditionError extends InvalidRequestError {
  constructor(header: string) {
    super(`${header} must be "*" or a list of entity tags such as "3".`);
  }
}

export class MalformedCursorError extends DomainError {
  constructor() {
    super('malformed_cursor', 400, 'Malformed cursor', {
      detail: 'Pass back the nextCursor of a previous page unchanged.',
    });
  }
}
