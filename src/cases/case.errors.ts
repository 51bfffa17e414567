import { NotFoundError, UnprocessableError } from '../platform/errors/domain-error.js';

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
