import { Module, type DynamicModule } from '@nestjs/common';
import { AccessModule } from './access/access.module.js';
import { AuditLogModule } from './audit-log/audit-log.module.js';
import { AuditorApiModule } from './auditor-api/auditor-api.module.js';
import { AuthModule } from './auth/auth.module.js';
import { CellsModule } from './cells/cells.module.js';
import { CasesApiModule } from './cases-api/cases-api.module.js';
import { CasesModule } from './cases/cases.module.js';
import { ConsoleModule } from './console/console.module.js';
import { ErasureModule } from './erasure/erasure.module.js';
import { HealthModule } from './health/health.module.js';
import { KeysModule } from './keys/keys.module.js';
import { ConfigModule } from './platform/config/config.module.js';
import { DatabaseModule } from './platform/database/database.module.js';
import type { GatewayConfig } from './platform/config/gateway-config.js';
import { MetricsModule } from './platform/metrics/metrics.module.js';
import { PolicyActivationsModule } from './policy-activations/policy-activations.module.js';
import { PolicyModule } from './policy/policy.module.js';
import { QueryModule } from './query/query.module.js';
import { RecordsModule } from './records/records.module.js';
import { RegionsModule } from './regions/regions.module.js';
import { SubjectEntity } from './subjects/subject.entity.js';
import { SubjectsModule } from './subjects/subjects.module.js';
import { VaultModule } from './vault/vault.module.js';

/**
 * The module graph, in the order of DESIGN §4: platform (config, metrics), regions and keys,
 * the policy decision point, the decision log, cases, the access gate, the record vault, then
 * the feature APIs built on them.
 */
@Module({})
export class AppModule {
  static forConfig(config: GatewayConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forConfig(config),
        MetricsModule,
        // Tables mapped to entities (the rest is accessed with SQL; see the README).
        DatabaseModule.forRegions(config, [SubjectEntity]),
        RegionsModule,
        CellsModule,
        AuthModule,
        KeysModule,
        PolicyModule,
        AuditLogModule,
        PolicyActivationsModule,
        CasesModule,
        AccessModule,
        VaultModule,
        SubjectsModule,
        RecordsModule,
        ErasureModule,
        CasesApiModule,
        AuditorApiModule,
        QueryModule,
        HealthModule,
        ConsoleModule,
      ],
    };
  }
}
