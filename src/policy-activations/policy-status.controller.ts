import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { AccessGate } from '../access/access-gate.js';
import { Ctx } from '../auth/request-context.decorator.js';
import type { RequestContext } from '../platform/http/request-context.js';
import { PolicyService, type PolicyStatus } from '../policy/policy.service.js';

@ApiTags('policy')
@ApiBearerAuth()
@Controller('v1/policy')
export class PolicyStatusController {
  constructor(
    private readonly policy: PolicyService,
    private readonly gate: AccessGate,
  ) {}

  /**
   * The bundle in use: revision, build, archive hash, load time, and the latest refused update.
   * Decided and logged like any access (action `policy.read`) in the caller's region.
   */
  @Get()
  @ApiOkResponse({
    description: '{loaded, revision, build, commit, bundleHash, loadedAt, source, lastRejection}',
  })
  async status(@Ctx() ctx: RequestContext): Promise<PolicyStatus> {
    const status = this.policy.status();
    if (!status.loaded) return status; // nothing decides without a bundle: 503 would hide why
    return this.gate.run(ctx, {
      action: 'policy.read',
      region: ctx.caller.region,
      purpose: 'none',
      mode: 'read',
      work: () => Promise.resolve(this.policy.status()),
    });
  }
}
