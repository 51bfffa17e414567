import { Module } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { GATEWAY_CONFIG } from '../platform/config/config.module.js';
import type { GatewayConfig } from '../platform/config/gateway-config.js';
import { REGION_DATA_SOURCES } from '../platform/database/database.module.js';
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
      inject: [RegionTopology, REGION_DATA_SOURCES, GatewayMetrics],
      useFactory: (
        topology: RegionTopology,
        dataSources: ReadonlyMap<string, DataSource>,
        metrics: GatewayMetrics,
      ) => RegionRouter.open(topology, dataSources, metrics),
    },
  ],
  exports: [JurisdictionMap, RegionTopology, RegionRouter],
})
export class RegionsModule {}
