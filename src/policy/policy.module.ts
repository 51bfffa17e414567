import { Module } from '@nestjs/common';
import { KeysModule } from '../keys/keys.module.js';
import { RegionsModule } from '../regions/regions.module.js';
import { AccessDecider } from './access-decider.js';
import { FieldMasker } from './field-masker.js';
import { PolicyController } from './policy.controller.js';
import { PolicyService } from './policy.service.js';

@Module({
  imports: [RegionsModule, KeysModule],
  controllers: [PolicyController],
  providers: [PolicyService, AccessDecider, FieldMasker],
  exports: [PolicyService, AccessDecider, FieldMasker],
})
export class PolicyModule {}
