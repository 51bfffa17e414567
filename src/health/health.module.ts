import { Module } from '@nestjs/common';
import { KeysModule } from '../keys/keys.module.js';
import { PolicyModule } from '../policy/policy.module.js';
import { RegionsModule } from '../regions/regions.module.js';
import { HealthController } from './health.controller.js';

@Module({ imports: [RegionsModule, KeysModule, PolicyModule], controllers: [HealthController] })
export class HealthModule {}
