import { z } from 'zod';
import { ConfigError } from '../platform/config/config.error.js';
import { JURISDICTION_PATTERN } from '../platform/config/gateway-config.js';

const COUNTRY_CODE = /^[A-Z]{2}$/;

const fileSchema = z.strictObject({
  countries: z.record(
    z.string().regex(COUNTRY_CODE, 'country codes are ISO 3166-1 alpha-2'),
    z.string().regex(JURISDICTION_PATTERN),
  ),
});

/**
 * ISO country code → jurisdiction, from the verified policy bundle's data
 * (`residency.jurisdictions`), so where a subject is homed is decided by the same signed
 * artifact as everything else.
 */
export class JurisdictionMap {
  private readonly countries: ReadonlyMap<string, string>;

  constructor(countries: Readonly<Record<string, string>>) {
    this.countries = new Map(Object.entries(countries));
  }

  /** From the bundle data's `residency.jurisdictions` document; lists every problem. */
  static fromData(raw: unknown): JurisdictionMap {
    const parsed = fileSchema.safeParse(raw);
    if (!parsed.success) {
      throw new ConfigError(
        parsed.error.issues.map(
          (i) =>
            `bundle data residency.jurisdictions: ${i.path.map(String).join('.')}: ${i.message}`,
        ),
      );
    }
    return new JurisdictionMap(parsed.data.countries);
  }

  /** The jurisdiction of an ISO alpha-2 country code (any case), or `undefined`. */
  jurisdictionOf(country: string): string | undefined {
    const code = country.toUpperCase();
    return COUNTRY_CODE.test(code) ? this.countries.get(code) : undefined;
  }

  hasJurisdiction(jurisdiction: string): boolean {
    for (const value of this.countries.values()) if (value === jurisdiction) return true;
    return false;
  }
}
