import { DomainError, NotFoundError, UnprocessableError } from '../platform/errors/domain-error.js';

export class CaseNotFoundError extends NotFoundError {
  constructor() {
    super('case_not_found', 'Case not found');
  }
}

export class CaseSpansRegionsError extends UnprocessableError {
  constructor() {
    super(
      'case_spans_regions',
      'Case spans regions',
      'A case is stored in the home region of the subjects it names; open one case per region.',
    );
  }
}

export class CaseChangedError extends DomainError {
  constructor() {
    super('case_changed', 409, 'Case changed', {
      detail: 'The case changed while the request was decided; retry.',
    });
  }
}
