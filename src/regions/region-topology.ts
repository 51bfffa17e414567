import { ConfigError } from '../platform/config/config.error.js';
import type { RegionConfig } from '../platform/config/gateway-config.js';
import type { JurisdictionMap } from './jurisdiction-map.js';

/** The configured regions, indexed by id and by jurisdiction. Pure data; no connections. */
export class RegionTopology {
  private readonly byId: ReadonlyMap<string, RegionConfig>;

  constructor(
    readonly regions: readonly RegionConfig[],
    readonly jurisdictions: JurisdictionMap,
  ) {
    const problems = regions
      .filter((region) => !jurisdictions.hasJurisdiction(region.jurisdiction))
      .map(
        (region) =>
          `region ${region.id}: jurisdiction ${region.jurisdiction} has no countries in the policy data`,
      );
    if (problems.length > 0) throw new ConfigError(problems);
    this.byId = new Map(regions.map((region) => [region.id, region]));
  }

  find(regionId: string): RegionConfig | undefined {
    return this.byId.get(regionId);
  }

  has(regionId: string): boolean {
    return this.byId.has(regionId);
  }

  inJurisdiction(jurisdiction: string): RegionConfig[] {
    return this.regions.filter((region) => region.jurisdiction === jurisdiction);
  }
}
