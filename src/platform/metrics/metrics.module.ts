import { Global, Module } from '@nestjs/common';
import { GatewayMetrics } from './gateway-metrics.js';

@Global()
@Module({
  providers: [{ provide: GatewayMetrics, useFactory: () => new GatewayMetrics() }],
  exports: [GatewayMetrics],
})
export class MetricsModule {}
