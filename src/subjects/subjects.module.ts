import { Module } from '@nestjs/common';
import { AccessModule } from '../access/access.module.js';
import { KeysModule } from '../keys/keys.module.js';
import { PolicyModule } from '../policy/policy.module.js';
import { RegionsModule } from '../regions/regions.module.js';
import { SubjectsController } from './subjects.controller.js';
import { SubjectsRepository } from './subjects.repository.js';
import { SubjectsService } from './subjects.service.js';

@Module({
  imports: [RegionsModule, PolicyModule, KeysModule, AccessModule],
  controllers: [SubjectsController],
  providers: [SubjectsService, { provide: SubjectsRepository, useValue: new SubjectsRepository() }],
  exports: [SubjectsRepository],
})
export class SubjectsModule {}
