import { DomainError } from '../platform/errors/domain-error.js';
import { RegionalIdFormat } from '../regions/regional-id.js';

export const CASE_IDS = new RegionalIdFormat('c1');

export class MalformedCaseIdError extends DomainError {
  constructor() {
    super('malformed_case_id', 400, 'Malformed case id', {
      detail: 'Case ids look like c1.<region>.<26 base32 characters>.',
    });
  }
}

/** The home region of a case id, or 400 `malformed_case_id`. */
export function caseHomeRegion(raw: string): string {
  const region = CASE_IDS.homeRegionOf(raw);
  if (region === undefined) throw new MalformedCaseIdError();
  return region;
}
