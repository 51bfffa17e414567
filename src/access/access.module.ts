import { Module } from '@nestjs/common';
import { AuditLogModule } from '../audit-log/audit-log.module.js';
import { CasesModule } from '../cases/cases.module.js';
import { PolicyModule } from '../policy/policy.module.js';
import { RegionsModule } from '../regions/regions.module.js';
import { AccessGate } from './access-gate.js';

/** The access gate: decide, resolve the case, run in the region's transaction, log, headers. */
@Module({
  imports: [RegionsModule, PolicyModule, CasesModule, AuditLogModule],
  providers: [AccessGate],
  exports: [AccessGate],
})
export class AccessModule {}
