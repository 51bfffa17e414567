import { Module } from '@nestjs/common';
import { AuditLogModule } from '../audit-log/audit-log.module.js';
import { PolicyModule } from '../policy/policy.module.js';
import { RegionsModule } from '../regions/regions.module.js';
import { PolicyActivationLog } from './policy-activation-log.js';
import { PolicyActivationsRepository } from './policy-activations.repository.js';

/**
 * Which policy bundle was in force when, in every region's store and decision log; the build
 * floor that makes a rollback impossible across restarts.
 */
@Module({
  imports: [PolicyModule, RegionsModule, AuditLogModule],
  providers: [PolicyActivationLog, PolicyActivationsRepository],
})
export class PolicyActivationsModule {}
