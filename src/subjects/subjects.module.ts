import { Module } from '@nestjs/common';
import { KeysModule } from '../keys/keys.module.js';
import { PolicyModule } from '../policy/policy.module.js';
import { RecordsModule } from '../records/records.module.js';
import { RegionsModule } from '../regions/regions.module.js';
import { SubjectErasureService } from './subject-erasure.service.js';
import { SubjectsController } from './subjects.controller.js';
import { SubjectsRepository } from './subjects.repository.js';
import { SubjectsService } from './subjects.service.js';

@Module({
  imports: [RegionsModule, KeysModule, RecordsModule, PolicyModule],
  controllers: [SubjectsController],
  providers: [
    SubjectsService,
    SubjectErasureService,
    { provide: SubjectsRepository, useValue: new SubjectsRepository() },
  ],
})
export class SubjectsModule {}
