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

export class RequesterRequiredError extends UnprocessableError {
  constructor() {
    super(
      'requester_required',
      'Requester required',
      'A legal request names the one service that may use its approval (requester).',
    );
  }
}

export class InvalidExpiryError extends UnprocessableError {
  constructor(maxDays: number) {
    super(
      'invalid_expiry',
      'Invalid expiry',
      `A legal request expires in the future, at most ${String(maxDays)} days after it is opened.`,
    );
  }
}

export class NotALegalRequestError extends UnprocessableError {
  constructor() {
    super(
      'not_a_legal_request',
      'Not a legal request',
      'requester, requesterJurisdiction and expiresAt belong to legal requests only.',
    );
  }
}
