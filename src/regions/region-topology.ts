import type { PeerConfig, RegionConfig } from '../platform/config/gateway-config.js';

/** Where a region is, as far as placement and routing need to know. */
export interface RegionPlace {
  readonly id: string;
  readonly jurisdiction: string;
  readonly placementWeight: number;
}

/**
 * Every region this process knows: the ones it serves (`local`: it holds their store and key)
 * and the ones other cells serve (`peers`). Pure data; no connections. Regions are listed local
 * first, in configuration order.
 */
export class RegionTopology {
  readonly regions: readonly RegionPlace[];
  private readonly byId: ReadonlyMap<string, RegionPlace>;
  private readonly localIds: ReadonlySet<string>;
  private readonly peersById: ReadonlyMap<string, PeerConfig>;

  constructor(
    readonly local: readonly RegionConfig[],
    readonly peers: readonly PeerConfig[] = [],
  ) {
    this.regions = [...local, ...peers];
    this.byId = new Map(this.regions.map((region) => [region.id, region]));
    this.localIds = new Set(local.map((region) => region.id));
    this.peersById = new Map(peers.map((peer) => [peer.id, peer]));
  }

  find(regionId: string): RegionPlace | undefined {
    return this.byId.get(regionId);
  }

  has(regionId: string): boolean {
    return this.byId.has(regionId);
  }

  isLocal(regionId: string): boolean {
    return this.localIds.has(regionId);
  }

  /** The peer cell serving `regionId`, if another cell serves it. */
  peer(regionId: string): PeerConfig | undefined {
    return this.peersById.get(regionId);
  }

  inJurisdiction(jurisdiction: string): RegionPlace[] {
    return this.regions.filter((region) => region.jurisdiction === jurisdiction);
  }

  /**
   * Where a new subject of `jurisdiction` may be placed from here: the regions of this process
   * in that jurisdiction when it serves any that is open to new subjects, so a cell homes the
   * subjects of its own jurisdiction itself; otherwise the peers of that jurisdiction.
   */
  placementCandidates(jurisdiction: string): RegionPlace[] {
    const all = this.inJurisdiction(jurisdiction);
    const local = all.filter((region) => this.isLocal(region.id) && region.placementWeight > 0);
    return local.length > 0 ? local : all;
  }
}
