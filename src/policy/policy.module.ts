import { Module } from '@nestjs/common';
import { PolicyService } from './policy.service.js';

/** The policy decision point: the verified bundle in use, evaluated in process (input → decision). */
@Module({
  providers: [PolicyService],
  exports: [PolicyService],
})
export class PolicyModule {}
