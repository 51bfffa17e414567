import { Module } from '@nestjs/common';
import { GATEWAY_CONFIG } from '../platform/config/config.module.js';
import type { GatewayConfig } from '../platform/config/gateway-config.js';
import { GatewayMetrics } from '../platform/metrics/gateway-metrics.js';
import { JurisdictionMap } from './jurisdiction-map.js';
import { RegionRouter } from './region-router.js';
import { RegionTopology } from './region-topology.js';

@Module({
  providers: [
    {
      provide: JurisdictionMap,
      inject: [GATEWAY_CONFIG],
      useFactory: (config: GatewayConfig) => JurisdictionMap.load(config.policyDataDir),
    },
    {
      provide: RegionTopology,
      inject: [GATEWAY_CONFIG, JurisdictionMap],
      useFactory: (config: GatewayConfig, jurisdictions: JurisdictionMap) =>
        new RegionTopology(config.regions, jurisdictions),
    },
    {
      provide: RegionRouter,
      inject: [GATEWAY_CONFIG, RegionTopology, GatewayMetrics],
      useFactory: (config: GatewayConfig, topology: RegionTopology, metrics: GatewayMetrics) =>
        RegionRouter.open(topology, config.database, metrics),
    },
  ],
  exports: [JurisdictionMap, RegionTopology, RegionRouter],
})
export class RegionsModule {}
