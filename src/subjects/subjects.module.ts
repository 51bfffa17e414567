import { Module } from '@nestjs/common';
import { RegionsModule } from '../regions/regions.module.js';
import { SubjectsController } from './subjects.controller.js';
import { SubjectsRepository } from './subjects.repository.js';
import { SubjectsService } from './subjects.service.js';

@Module({
  imports: [RegionsModule],
  controllers: [SubjectsController],
  providers: [SubjectsService, { provide: SubjectsRepository, useValue: new SubjectsRepository() }],
})
export class SubjectsModule {}
