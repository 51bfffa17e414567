import type { GatewayConfig } from '../platform/config/gateway-config.js';
import type { GatewayMetrics } from '../platform/metrics/gateway-metrics.js';
import { UnknownRegionError } from '../regions/unknown-region.error.js';
import { AwsRegionKms } from './aws-region-kms.js';
import type { RegionKms } from './region-kms.js';

/** One pinned KMS client per configured region; no network at construction. */
export class KmsRegistry {
  constructor(private readonly clients: ReadonlyMap<string, RegionKms>) {}

  static fromConfig(config: GatewayConfig, metrics: GatewayMetrics): KmsRegistry {
    return new KmsRegistry(
      new Map(
        config.regions.map((region) => [
          region.id,
          new AwsRegionKms(region, config.keys, metrics, config.breakers),
        ]),
      ),
    );
  }

  forRegion(regionId: string): RegionKms {
    const kms = this.clients.get(regionId);
    if (kms === undefined) throw new UnknownRegionError(regionId);
    return kms;
  }
}
