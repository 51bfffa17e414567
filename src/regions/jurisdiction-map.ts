import { z } from 'zod';
import { JURISDICTION_PATTERN } from '../platform/config/gateway-config.js';
import { readPolicyData } from '../platform/config/policy-data.js';

const COUNTRY_CODE = /^[A-Z]{2}$/;

const fileSchema = z.strictObject({
  countries: z.record(
    z.string().regex(COUNTRY_CODE, 'country codes are ISO 3166-1 alpha-2'),
    z.string().regex(JURISDICTION_PATTERN),
  ),
});

/**
 * ISO country code → jurisdiction, read from the policy data (`policies/bundle/residency/jurisdictions`),
 * so the gateway and the policy bundle agree on where a country's users belong.
 */
export class JurisdictionMap {
  private readonly countries: ReadonlyMap<string, string>;

  constructor(countries: Readonly<Record<string, string>>) {
    this.countries = new Map(Object.entries(countries));
  }

  static load(policyDataDir: string): JurisdictionMap {
    const data = readPolicyData(
      policyDataDir,
      'jurisdictions',
      fileSchema,
      'country → jurisdiction map',
    );
    return new JurisdictionMap(data.countries);
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
