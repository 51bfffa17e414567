import { DomainError, NotFoundError, UnprocessableError } from '../platform/errors/domain-error.js';

export class UnknownCountryError extends UnprocessableError {
  constructor(country: string) {
    super(
      'unknown_country',
      'Unknown country',
      `${JSON.stringify(country.slice(0, 16))} is not an ISO 3166-1 alpha-2 code in the jurisdiction map.`,
      { field: 'country' },
    );
  }
}

export class JurisdictionNotServedError extends UnprocessableError {
  constructor(jurisdiction: string) {
    super(
      'jurisdiction_not_served',
      'Jurisdiction not served',
      `No region of jurisdiction ${jurisdiction} is configured and open to new subjects.`,
      { jurisdiction },
    );
  }
}

export class SubjectNotFoundError extends NotFoundError {
  constructor() {
    super('subject_not_found', 'Subject not found');
  }
}

export class SubjectErasedError extends DomainError {
  constructor() {
    super('subject_erased', 410, 'Subject erased', {
      detail: 'This subject was erased; its data is gone.',
    });
  }
}
