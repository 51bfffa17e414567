import type { RegionConfig } from '../platform/config/gateway-config.js';

/** The configured regions, indexed by id and by jurisdiction. Pure data; no connections. */
export class RegionTopology {
  private readonly byId: ReadonlyMap<string, RegionConfig>;

  constructor(readonly regions: readonly RegionConfig[]) {
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
