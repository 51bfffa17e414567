import { Module } from '@nestjs/common';
import { RegionsModule } from '../regions/regions.module.js';
import { HealthController } from './health.controller.js';

@Module({ imports: [RegionsModule], controllers: [HealthController] })
export class HealthModule {}
