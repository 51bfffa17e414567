import { Module } from '@nestjs/common';
import { PolicyModule } from '../policy/policy.module.js';
import { RegionsModule } from '../regions/regions.module.js';
import { AuditController } from './audit.controller.js';
import { AuditService } from './audit.service.js';

@Module({
  imports: [RegionsModule, PolicyModule],
  controllers: [AuditController],
  providers: [AuditService],
})
export class AuditModule {}
