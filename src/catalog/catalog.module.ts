import { Module } from '@nestjs/common';
import { GATEWAY_CONFIG } from '../platform/config/config.module.js';
import type { GatewayConfig } from '../platform/config/gateway-config.js';
import { CollectionCatalog } from './collection-catalog.js';

@Module({
  providers: [
    {
      provide: CollectionCatalog,
      inject: [GATEWAY_CONFIG],
      useFactory: (config: GatewayConfig) => CollectionCatalog.load(config.policyDataDir),
    },
  ],
  exports: [CollectionCatalog],
})
export class CatalogModule {}
