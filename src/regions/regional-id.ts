import { randomBytes } from 'node:crypto';

/** Crockford base32, lower case: URL-safe and free of look-alike letters (i, l, o, u). */
const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';
const RANDOM_CHARS = 26; // 26 × 5 = 130 random bits
const REGION = '[a-z]{2}(?:-[a-z]+)+-\\d{1,2}';

/**
 * Self-routing ids: `<kind>.<home region>.<130 random bits in base32>`. Any gateway routes one
 * from the id alone, with no global directory (which would itself be a cross-border copy).
 */
export class RegionalIdFormat {
  private readonly pattern: RegExp;

  constructor(readonly kind: string) {
    this.pattern = new RegExp(`^${kind}\\.(${REGION})\\.([${ALPHABET}]{${String(RANDOM_CHARS)}})$`);
  }

  generate(homeRegion: string): string {
    let random = '';
    // Each byte keeps its low 5 bits: 256 is a multiple of 32, so the characters stay uniform.
    for (const byte of randomBytes(RANDOM_CHARS)) random += ALPHABET.charAt(byte & 31);
    const value = `${this.kind}.${homeRegion}.${random}`;
    if (!this.pattern.test(value))
      throw new Error(`region id ${homeRegion} cannot be encoded in an id`);
    return value;
  }

  /** The home region of a well-formed id, or `undefined` for anything else. */
  homeRegionOf(raw: string): string | undefined {
    return this.pattern.exec(raw)?.[1];
  }
}
