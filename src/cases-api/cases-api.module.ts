import { Module } from '@nestjs/common';
import { AccessModule } from '../access/access.module.js';
import { CasesModule } from '../cases/cases.module.js';
import { KeysModule } from '../keys/keys.module.js';
import { RegionsModule } from '../regions/regions.module.js';
import { CasesController } from './cases.controller.js';
import { CasesService } from './cases.service.js';

/** The cases API (open, read, approve, close); storage and resolution live in cases/. */
@Module({
  imports: [RegionsModule, KeysModule, CasesModule, AccessModule],
  controllers: [CasesController],
  providers: [CasesService],
})
export class CasesApiModule {}
