import { Module } from '@nestjs/common';
import { AccessModule } from '../access/access.module.js';
import { AuditLogModule } from '../audit-log/audit-log.module.js';
import { RegionsModule } from '../regions/regions.module.js';
import { AuditorController } from './auditor.controller.js';
import { AuditorService } from './auditor.service.js';

/** The auditor API over each region's decision log. */
@Module({
  imports: [RegionsModule, AuditLogModule, AccessModule],
  controllers: [AuditorController],
  providers: [AuditorService],
})
export class AuditorApiModule {}
