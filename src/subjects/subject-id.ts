import { randomBytes } from 'node:crypto';
import { DomainError } from '../platform/errors/domain-error.js';

/** Crockford base32, lower case: URL-safe and free of look-alike letters (i, l, o, u). */
const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';
const RANDOM_CHARS = 26; // 26 × 5 = 130 random bits
const VERSION = 's1';

const PATTERN = new RegExp(
  `^${VERSION}\\.([a-z]{2}(?:-[a-z]+)+-\\d{1,2})\\.([${ALPHABET}]{${RANDOM_CHARS}})$`,
);

/**
 * A self-routing subject id: `s1.<home region>.<130 random bits in base32>`, e.g.
 * `s1.us-east-1.7m2q...`. Any gateway can route it without a global directory, which would
 * itself be a cross-border copy of every user id.
 */
export class SubjectId {
  private constructor(
    readonly value: string,
    readonly homeRegion: string,
  ) {}

  static generate(homeRegion: string): SubjectId {
    const bytes = randomBytes(RANDOM_CHARS);
    let random = '';
    // Each byte keeps its low 5 bits: 256 is a multiple of 32, so the characters stay uniform.
    for (const byte of bytes) random += ALPHABET.charAt(byte & 31);
    const value = `${VERSION}.${homeRegion}.${random}`;
    if (!PATTERN.test(value))
      throw new Error(`region id ${homeRegion} cannot be encoded in a subject id`);
    return new SubjectId(value, homeRegion);
  }

  /** Strictly parses an id from a request; anything else is a 400 `malformed_subject_id`. */
  static parse(raw: string): SubjectId {
    const match = PATTERN.exec(raw);
    if (match?.[1] === undefined) throw new MalformedSubjectIdError();
    return new SubjectId(raw, match[1]);
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
