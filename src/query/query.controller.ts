import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { Ctx } from '../auth/request-context.decorator.js';
import { JsonBodyLimits } from '../platform/http/json-body.js';
import type { RequestContext } from '../platform/http/request-context.js';
import { QUERY_BODY_LIMITS, QueryRequestBody } from './dto/query.request.js';
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
  async query(@Ctx() ctx: RequestContext, @Body() body: QueryRequestBody): Promise<QueryResult> {
    return this.queries.query(ctx, {
      collection: body.collection,
      where: body.where,
      limit: body.limit ?? 20,
      ...(body.jurisdictions === undefined ? {} : { jurisdictions: body.jurisdictions }),
      ...(body.fields === undefined ? {} : { fields: body.fields }),
      ...(body.cursor === undefined ? {} : { cursor: body.cursor }),
    });
  }
}
