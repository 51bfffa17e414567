import { Body, Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiOkResponse,
  ApiQuery,
  ApiTags,
} from '@nestjs/swagger';
import { Ctx } from '../auth/request-context.decorator.js';
import { InvalidRequestError } from '../platform/errors/domain-error.js';
import type { RequestContext } from '../platform/http/request-context.js';
import { required, time, wholeNumber } from '../platform/http/query-params.js';
import type { BreakGlassItem } from './audit-insights.repository.js';
import { AuditInsightsService, type Flows, type LogHealth } from './audit-insights.service.js';
import { ReviewRequest } from './dto/review.request.js';

const REVIEW_STATUSES = ['pending', 'reviewed', 'all'] as const;

function oneOf<T extends string>(
  name: string,
  value: string | undefined,
  allowed: readonly T[],
  fallback: T,
): T {
  if (value === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(value))
    throw new InvalidRequestError(`${name} must be one of ${allowed.join(', ')}.`);
  return value as T;
}

/** The console's views over each region's log: health, flows, the break-glass review queue. */
@ApiTags('audit')
@ApiBearerAuth()
@Controller('v1/audit')
export class AuditInsightsController {
  constructor(private readonly insights: AuditInsightsService) {}

  @Get('health')
  @ApiQuery({ name: 'region', required: true })
  @ApiOkResponse({
    description:
      'Latest checkpoint (size, signing time), witness cosignatures, integration backlog and lag, last full verification.',
  })
  async health(
    @Ctx() ctx: RequestContext,
    @Query('region') region: string | undefined,
  ): Promise<LogHealth> {
    return this.insights.health(ctx, required('region', region));
  }

  @Get('flows')
  @ApiQuery({ name: 'region', required: true })
  @ApiQuery({ name: 'bucket', required: false, enum: ['hour', 'day'] })
  @ApiQuery({ name: 'from', required: false })
  @ApiQuery({ name: 'to', required: false })
  @ApiOkResponse({
    description:
      'Decisions by caller jurisdiction and purpose per time bucket, with denials, into the region’s (data) jurisdiction.',
  })
  async flows(
    @Ctx() ctx: RequestContext,
    @Query() query: Record<string, string | undefined>,
  ): Promise<Flows> {
    return this.insights.flows(
      ctx,
      required('region', query['region']),
      oneOf('bucket', query['bucket'], ['hour', 'day'] as const, 'hour'),
      time('from', query['from']),
      time('to', query['to']),
    );
  }

  @Get('reviews')
  @ApiQuery({ name: 'region', required: true })
  @ApiQuery({ name: 'status', required: false, enum: REVIEW_STATUSES })
  @ApiQuery({ name: 'limit', required: false })
  @ApiOkResponse({ description: 'Break-glass decisions, newest first, with their review if any.' })
  async reviews(
    @Ctx() ctx: RequestContext,
    @Query() query: Record<string, string | undefined>,
  ): Promise<{ items: BreakGlassItem[] }> {
    const items = await this.insights.breakGlass(
      ctx,
      required('region', query['region']),
      oneOf('status', query['status'], REVIEW_STATUSES, 'pending'),
      wholeNumber('limit', query['limit'], { min: 1, max: 200, fallback: 50 }),
    );
    return { items };
  }

  @Post('reviews')
  @HttpCode(201)
  @ApiCreatedResponse({
    description: 'The break-glass decision is marked reviewed (an audited action).',
  })
  async review(@Ctx() ctx: RequestContext, @Body() body: ReviewRequest): Promise<unknown> {
    return this.insights.review(ctx, body.region, body.decisionId, body.note);
  }
}
