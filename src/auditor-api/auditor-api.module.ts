import { Module } from '@nestjs/common';
import { AccessModule } from '../access/access.module.js';
import { AuditLogModule } from '../audit-log/audit-log.module.js';
import { RegionsModule } from '../regions/regions.module.js';
import { AuditInsightsController } from './audit-insights.controller.js';
import { AuditInsightsService } from './audit-insights.service.js';
import { AuditorController } from './auditor.controller.js';
import { AuditorService } from './auditor.service.js';

/** The auditor API over each region's decision log. */
@Module({
  imports: [RegionsModule, AuditLogModule, AccessModule],
  controllers: [AuditorController, AuditInsightsController],
  providers: [AuditorService, AuditInsightsService],
})
export class AuditorApiModule {}
