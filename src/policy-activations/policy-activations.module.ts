import { Module } from '@nestjs/common';
import { AccessModule } from '../access/access.module.js';
import { AuditLogModule } from '../audit-log/audit-log.module.js';
import { PolicyModule } from '../policy/policy.module.js';
import { RegionsModule } from '../regions/regions.module.js';
import { PolicyActivationLog } from './policy-activation-log.js';
import { PolicyActivationsRepository } from './policy-activations.repository.js';
import { PolicyStatusController } from './policy-status.controller.js';

/**
 * Which policy bundle was in force when, in every region's store and decision log; the build
 * floor that makes a rollback impossible across restarts; `GET /v1/policy` (decided, logged).
 */
@Module({
  imports: [PolicyModule, RegionsModule, AuditLogModule, AccessModule],
  controllers: [PolicyStatusController],
  providers: [PolicyActivationLog, PolicyActivationsRepository],
})
export class PolicyActivationsModule {}
