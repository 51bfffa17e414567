import { Module } from '@nestjs/common';
import { GATEWAY_CONFIG } from '../platform/config/config.module.js';
import type { GatewayConfig } from '../platform/config/gateway-config.js';
import { RegionRouter } from '../regions/region-router.js';
import { RegionsModule } from '../regions/regions.module.js';
import { AuditLogWriter } from './audit-log.writer.js';

/** Each region's decision log: appending (for the access gate), reading and verifying. */
@Module({
  imports: [RegionsModule],
  providers: [
    {
      provide: AuditLogWriter,
      inject: [GATEWAY_CONFIG, RegionRouter],
      useFactory: (config: GatewayConfig, router: RegionRouter) =>
        new AuditLogWriter(config.instanceId, router),
    },
  ],
  exports: [AuditLogWriter],
})
export class AuditLogModule {}
