import { Body, Controller, HttpCode, Post, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import {
  ApiBearerAuth,
  ApiExcludeEndpoint,
  ApiHeader,
  ApiOkResponse,
  ApiTags,
} from '@nestjs/swagger';
import { Ctx } from '../auth/request-context.decorator.js';
import { JsonBodyLimits } from '../platform/http/json-body.js';
import type { RequestContext } from '../platform/http/request-context.js';
import { NotFoundError } from '../platform/errors/domain-error.js';
import { QUERY_BODY_LIMITS, QueryPartRequestBody, QueryRequestBody } from './dto/query.request.js';
import { QueryService, type QueryResult } from './query.service.js';

@ApiTags('query')
@ApiBearerAuth()
@Controller('v1/query')
export class QueryController {
  constructor(private readonly queries: QueryService) {}

  @Post()
  @HttpCode(200)
  @JsonBodyLimits(QUERY_BODY_LIMITS)
  @ApiHeader({ name: 'X-Purpose', required: true })
  @ApiHeader({ name: 'X-Case-Id', required: false })
  @ApiOkResponse({
    description:
      '{items: [{subjectId, recordId, region, version, data, masked}], regions: {<region>: {status, count, decisionId, reasons?}}, nextCursor}',
  })
  async query(
    @Ctx() ctx: RequestContext,
    @Body() body: QueryRequestBody,
    @Req() request: FastifyRequest,
  ): Promise<QueryResult> {
    // The caller's own token, for the cells serving other regions to verify themselves.
    const authorization = request.headers.authorization ?? '';
    return this.queries.query(
      ctx,
      {
        collection: body.collection,
        where: body.where,
        limit: body.limit ?? 20,
        ...(body.jurisdictions === undefined ? {} : { jurisdictions: body.jurisdictions }),
        ...(body.fields === undefined ? {} : { fields: body.fields }),
        ...(body.cursor === undefined ? {} : { cursor: body.cursor }),
      },
      { authorization },
    );
  }

  /** One region's part of a query another cell fans out: on the peer port only. */
  @Post('parts')
  @HttpCode(200)
  @JsonBodyLimits(QUERY_BODY_LIMITS)
  @ApiExcludeEndpoint()
  async part(@Ctx() ctx: RequestContext, @Body() body: QueryPartRequestBody): Promise<unknown> {
    if (ctx.via === null) throw new NotFoundError('route_not_found', 'Not found');
    return this.queries.part(ctx, {
      region: body.region,
      collection: body.collection,
      where: body.where,
      fields: body.fields,
      limit: body.limit,
      after: body.after ?? null,
    });
  }
}
