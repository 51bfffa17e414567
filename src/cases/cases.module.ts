import { Module } from '@nestjs/common';
import { RegionsModule } from '../regions/regions.module.js';
import { CaseResolver } from './case-resolver.js';
import { CasesRepository } from './cases.repository.js';

/** Case storage (user reports, legal requests) in each region, and the one case resolver. */
@Module({
  imports: [RegionsModule],
  providers: [{ provide: CasesRepository, useValue: new CasesRepository() }, CaseResolver],
  exports: [CasesRepository, CaseResolver],
})
export class CasesModule {}
