import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { PolicyService, type PolicyStatus } from './policy.service.js';

@ApiTags('policy')
@ApiBearerAuth()
@Controller('v1/policy')
export class PolicyController {
  constructor(private readonly policy: PolicyService) {}

  /** The bundle in use: revision, archive hash, load time, and the latest refused update. */
  @Get()
  @ApiOkResponse({ description: '{loaded, revision, bundleHash, loadedAt, source, lastRejection}' })
  status(): PolicyStatus {
    return this.policy.status();
  }
}
