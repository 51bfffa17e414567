import { DomainError } from '../platform/errors/domain-error.js';
import { RegionalIdFormat } from '../regions/regional-id.js';

const FORMAT = new RegionalIdFormat('s1');

/**
 * A self-routing subject id: `s1.<home region>.<26 base32 characters>`, e.g.
 * `s1.us-east-1.7m2q...`.
 */
export class SubjectId {
  private constructor(
    readonly value: string,
    readonly homeRegion: string,
  ) {}

  static generate(homeRegion: string): SubjectId {
    return new SubjectId(FORMAT.generate(homeRegion), homeRegion);
  }

  /** Strictly parses an id from a request; anything else is a 400 `malformed_subject_id`. */
  static parse(raw: string): SubjectId {
    const homeRegion = FORMAT.homeRegionOf(raw);
    if (homeRegion === undefined) throw new MalformedSubjectIdError();
    return new SubjectId(raw, homeRegion);
  }

  toString(): string {
    return this.value;
  }
}

export class MalformedSubjectIdError extends DomainError {
  constructor() {
    super('malformed_subject_id', 400, 'Malformed subject id', {
      detail: 'Subject ids look like s1.<region>.<26 base32 characters>.',
    });
  }
}
