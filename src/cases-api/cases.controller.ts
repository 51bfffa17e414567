import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { Ctx } from '../auth/request-context.decorator.js';
import type { RequestContext } from '../platform/http/request-context.js';
import { CaseResponse } from './dto/case.response.js';
import { OpenCaseRequest } from './dto/open-case.request.js';
import { CasesService } from './cases.service.js';

@ApiTags('cases')
@ApiBearerAuth()
@Controller('v1/cases')
export class CasesController {
  constructor(private readonly cases: CasesService) {}

  @Post()
  @HttpCode(201)
  @ApiCreatedResponse({
    type: CaseResponse,
    description: 'Opened in the home region of the named subjects.',
  })
  async open(@Ctx() ctx: RequestContext, @Body() body: OpenCaseRequest): Promise<CaseResponse> {
    const { found, region } = await this.cases.open(ctx, {
      kind: body.kind,
      subjectIds: body.subjectIds,
      reference: body.reference ?? null,
      requester: body.requester ?? null,
      requesterJurisdiction: body.requesterJurisdiction ?? null,
      expiresAt: body.expiresAt === undefined ? null : new Date(body.expiresAt),
    });
    return CaseResponse.of(found, region);
  }

  @Get(':caseId')
  @ApiOkResponse({ type: CaseResponse })
  async get(@Ctx() ctx: RequestContext, @Param('caseId') caseId: string): Promise<CaseResponse> {
    const { found, region } = await this.cases.get(ctx, caseId);
    return CaseResponse.of(found, region);
  }

  @Post(':caseId/approve')
  @HttpCode(200)
  @ApiOkResponse({
    type: CaseResponse,
    description: 'Legal requests only; by someone other than the opener.',
  })
  async approve(
    @Ctx() ctx: RequestContext,
    @Param('caseId') caseId: string,
  ): Promise<CaseResponse> {
    const { found, region } = await this.cases.approve(ctx, caseId);
    return CaseResponse.of(found, region);
  }

  @Post(':caseId/close')
  @HttpCode(200)
  @ApiOkResponse({ type: CaseResponse })
  async close(@Ctx() ctx: RequestContext, @Param('caseId') caseId: string): Promise<CaseResponse> {
    const { found, region } = await this.cases.close(ctx, caseId);
    return CaseResponse.of(found, region);
  }
}
