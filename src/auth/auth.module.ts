import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { GATEWAY_CONFIG } from '../platform/config/config.module.js';
import type { GatewayConfig } from '../platform/config/gateway-config.js';
import { RegionsModule } from '../regions/regions.module.js';
import { RegionTopology } from '../regions/region-topology.js';
import { ServiceAuthGuard } from './service-auth.guard.js';
import { ServiceTokenVerifier } from './service-token.verifier.js';
import { loadVerificationKeys } from './verification-keys.js';

@Module({
  imports: [RegionsModule],
  providers: [
    {
      provide: ServiceTokenVerifier,
      inject: [GATEWAY_CONFIG, RegionTopology],
      useFactory: (config: GatewayConfig, topology: RegionTopology) =>
        new ServiceTokenVerifier(
          loadVerificationKeys(config.auth.jwks),
          topology,
          {
            audience: config.auth.audience,
            issuer: config.auth.issuer,
            clockToleranceSeconds: config.auth.clockToleranceSeconds,
            maxLifetimeSeconds: config.auth.maxLifetimeSeconds,
            maxRoles: config.auth.maxRoles,
          },
          config.auth.people === undefined
            ? undefined
            : {
                keys: loadVerificationKeys({ kind: 'url', url: config.auth.people.jwksUrl }),
                issuer: config.auth.people.issuer,
                audience: config.auth.people.audience,
              },
        ),
    },
    { provide: APP_GUARD, useClass: ServiceAuthGuard },
  ],
  exports: [ServiceTokenVerifier],
})
export class AuthModule {}
