import { Module } from '@nestjs/common';
import { PolicyModule } from '../policy/policy.module.js';
import { RegionsModule } from '../regions/regions.module.js';
import { CasesController } from './cases.controller.js';
import { CasesService } from './cases.service.js';

@Module({
  imports: [RegionsModule, PolicyModule],
  controllers: [CasesController],
  providers: [CasesService],
})
export class CasesModule {}
