import { Module } from '@nestjs/common';
import { KeyCache } from '../envelope/key-cache.js';
import { GATEWAY_CONFIG } from '../platform/config/config.module.js';
import type { GatewayConfig } from '../platform/config/gateway-config.js';
import { GatewayMetrics } from '../platform/metrics/gateway-metrics.js';
import { RegionRouter } from '../regions/region-router.js';
import { RegionsModule } from '../regions/regions.module.js';
import { KmsRegistry } from './kms-registry.js';
import { RegionKeysRepository } from './region-keys.repository.js';
import { RegionKeysService } from './region-keys.service.js';
import { SubjectKeysRepository } from './subject-keys.repository.js';
import { SubjectKeysService } from './subject-keys.service.js';

/** Cleared on shutdown so no unwrapped key outlives the application. */
class ShutdownZeroedKeyCache extends KeyCache {
  onApplicationShutdown(): void {
    this.clear();
  }
}

@Module({
  imports: [RegionsModule],
  providers: [
    {
      provide: KmsRegistry,
      inject: [GATEWAY_CONFIG, GatewayMetrics],
      useFactory: (config: GatewayConfig, metrics: GatewayMetrics) =>
        KmsRegistry.fromConfig(config, metrics),
    },
    {
      provide: KeyCache,
      inject: [GATEWAY_CONFIG, GatewayMetrics],
      useFactory: (config: GatewayConfig, metrics: GatewayMetrics) =>
        new ShutdownZeroedKeyCache(
          { maxEntries: config.keys.cacheMaxEntries, ttlMs: config.keys.cacheTtlMs },
          {
            hit: () => {
              metrics.keyCacheLookups.inc({ result: 'hit' });
            },
            miss: () => {
              metrics.keyCacheLookups.inc({ result: 'miss' });
            },
          },
        ),
    },
    { provide: SubjectKeysRepository, useValue: new SubjectKeysRepository() },
    { provide: RegionKeysRepository, useValue: new RegionKeysRepository() },
    {
      provide: SubjectKeysService,
      inject: [KmsRegistry, KeyCache],
      useFactory: (kms: KmsRegistry, cache: KeyCache) => new SubjectKeysService(kms, cache),
    },
    {
      provide: RegionKeysService,
      inject: [RegionRouter, KmsRegistry, RegionKeysRepository, KeyCache],
      useFactory: (
        router: RegionRouter,
        kms: KmsRegistry,
        keys: RegionKeysRepository,
        cache: KeyCache,
      ) => new RegionKeysService(router, kms, keys, cache),
    },
  ],
  exports: [
    KmsRegistry,
    SubjectKeysService,
    SubjectKeysRepository,
    RegionKeysService,
    RegionKeysRepository,
  ],
})
export class KeysModule {}
