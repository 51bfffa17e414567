import { Module } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { GATEWAY_CONFIG } from '../platform/config/config.module.js';
import type { GatewayConfig } from '../platform/config/gateway-config.js';
import { REGION_DATA_SOURCES } from '../platform/database/database.module.js';
import { GatewayMetrics } from '../platform/metrics/gateway-metrics.js';
import { RegionRouter } from './region-router.js';
import { RegionTopology } from './region-topology.js';

@Module({
  providers: [
    {
      provide: RegionTopology,
      inject: [GATEWAY_CONFIG],
      useFactory: (config: GatewayConfig) => new RegionTopology(config.regions, config.peers),
    },
    {
      provide: RegionRouter,
      inject: [RegionTopology, REGION_DATA_SOURCES, GatewayMetrics, GATEWAY_CONFIG],
      useFactory: (
        topology: RegionTopology,
        dataSources: ReadonlyMap<string, DataSource>,
        metrics: GatewayMetrics,
        config: GatewayConfig,
      ) =>
        RegionRouter.open(topology, dataSources, metrics, {
          breakers: config.breakers,
          budgetMs: config.database.requestTimeoutMs,
          maxWaiting: config.database.maxWaiting,
        }),
    },
  ],
  exports: [RegionTopology, RegionRouter],
})
export class RegionsModule {}
