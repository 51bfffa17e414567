import { Global, Module, type DynamicModule } from '@nestjs/common';
import type { GatewayConfig } from './gateway-config.js';

/** Injection token for the validated {@link GatewayConfig}. */
export const GATEWAY_CONFIG = Symbol('GATEWAY_CONFIG');

/** Provides the configuration loaded once at boot (by main.ts, the CLI or a test) to every module. */
@Global()
@Module({})
export class ConfigModule {
  static forConfig(config: GatewayConfig): DynamicModule {
    return {
      module: ConfigModule,
      providers: [{ provide: GATEWAY_CONFIG, useValue: config }],
      exports: [GATEWAY_CONFIG],
    };
  }
}
