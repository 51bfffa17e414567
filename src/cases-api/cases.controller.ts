import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiOkResponse,
  ApiProperty,
  ApiQuery,
  ApiTags,
} from '@nestjs/swagger';
import { InvalidRequestError } from '../platform/errors/domain-error.js';
import { Ctx } from '../auth/request-context.decorator.js';
import type { RequestContext } from '../platform/http/request-context.js';
import { CaseResponse } from './dto/case.response.js';
import { OpenCaseRequest } from './dto/open-case.request.js';
import { CasesService } from './cases.service.js';
import { required, wholeNumber } from '../platform/http/query-params.js';

class CaseListResponse {
  @ApiProperty({ type: [CaseResponse] })
  items!: CaseResponse[];
}

const STATUSES = ['open', 'approved', 'closed'] as const;

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

  @Get()
  @ApiQuery({ name: 'region', required: true })
  @ApiQuery({ name: 'kind', required: true, enum: ['legal-request'] })
  @ApiQuery({ name: 'status', required: false, enum: STATUSES })
  @ApiQuery({ name: 'limit', required: false })
  @ApiOkResponse({
    type: CaseListResponse,
    description: 'A region’s legal requests, newest first (legal reviewers of its jurisdiction).',
  })
  async list(
    @Ctx() ctx: RequestContext,
    @Query() query: Record<string, string | undefined>,
  ): Promise<CaseListResponse> {
    const region = required('region', query['region']);
    if (query['kind'] !== 'legal-request')
      throw new InvalidRequestError('kind must be legal-request.');
    const status = query['status'];
    if (status !== undefined && !(STATUSES as readonly string[]).includes(status))
      throw new InvalidRequestError('status must be open, approved or closed.');
    const limit = wholeNumber('limit', query['limit'], { min: 1, max: 200, fallback: 50 });
    const found = await this.cases.listLegalRequests(
      ctx,
      region,
      status as (typeof STATUSES)[number] | undefined,
      limit,
    );
    return { items: found.map((c) => CaseResponse.of(c, region)) };
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
