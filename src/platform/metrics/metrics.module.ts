import { Global, Module } from '@nestjs/common';
import { joinClusterMetrics } from './cluster-metrics.js';
import { GatewayMetrics } from './gateway-metrics.js';

@Global()
@Module({
  providers: [
    {
      provide: GatewayMetrics,
      useFactory: () => {
        const metrics = new GatewayMetrics();
        joinClusterMetrics(metrics);
        return metrics;
      },
    },
  ],
  exports: [GatewayMetrics],
})
export class MetricsModule {}
