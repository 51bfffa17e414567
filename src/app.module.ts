import { Module, type DynamicModule } from '@nestjs/common';
import { AuthModule } from './auth/auth.module.js';
import { HealthModule } from './health/health.module.js';
import { ConfigModule } from './platform/config/config.module.js';
import type { GatewayConfig } from './platform/config/gateway-config.js';
import { MetricsModule } from './platform/metrics/metrics.module.js';
import { PolicyModule } from './policy/policy.module.js';
import { QueryModule } from './query/query.module.js';
import { RegionsModule } from './regions/regions.module.js';
import { AuditModule } from './audit/audit.module.js';
import { CasesModule } from './cases/cases.module.js';
import { CatalogModule } from './catalog/catalog.module.js';
import { KeysModule } from './keys/keys.module.js';
import { RecordsModule } from './records/records.module.js';
import { SubjectsModule } from './subjects/subjects.module.js';

@Module({})
export class AppModule {
  static forConfig(config: GatewayConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forConfig(config),
        MetricsModule,
        RegionsModule,
        AuthModule,
        CatalogModule,
        KeysModule,
        SubjectsModule,
        RecordsModule,
        PolicyModule,
        CasesModule,
        AuditModule,
        QueryModule,
        HealthModule,
      ],
    };
  }
}
