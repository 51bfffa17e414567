import {
  Body,
  Controller,
  Delete,
  Get,
  Headers,
  HttpCode,
  Param,
  Put,
  Query,
  Res,
} from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiBody,
  ApiHeader,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiQuery,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Ctx } from '../auth/request-context.decorator.js';
import { InvalidRequestError } from '../platform/errors/domain-error.js';
import type { RequestContext } from '../platform/http/request-context.js';
import { RecordPageResponse, RecordResponse, RecordWriteResponse } from './dto/record.response.js';
import { parsePrecondition, versionTag } from './preconditions.js';
import { RecordsService } from './records.service.js';

const DEFAULT_PAGE = 20;
const MAX_PAGE = 100;

/** `?fields=a,b`: the fields a read asks for (the policy decides on exactly these). */
function requestedFields(raw: string | undefined): string[] | undefined {
  if (raw === undefined) return undefined;
  const fields = raw.split(',').map((field) => field.trim());
  if (fields.length > 64 || fields.some((field) => !/^[A-Za-z][A-Za-z0-9_]{0,62}$/.test(field))) {
    throw new InvalidRequestError('fields must be a comma-separated list of field names.');
  }
  return fields;
}

function pageSize(raw: string | undefined): number {
  if (raw === undefined) return DEFAULT_PAGE;
  const limit = Number(raw);
  if (!/^\d{1,3}$/.test(raw) || limit < 1 || limit > MAX_PAGE) {
    throw new InvalidRequestError(`limit must be an integer from 1 to ${String(MAX_PAGE)}.`);
  }
  return limit;
}

@ApiTags('records')
@ApiBearerAuth()
@Controller('v1/subjects/:subjectId/records/:collection')
export class RecordsController {
  constructor(private readonly records: RecordsService) {}

  @Put(':recordId')
  @ApiBody({
    schema: { type: 'object', additionalProperties: true },
    description: 'The record’s fields (see the catalog).',
  })
  @ApiHeader({
    name: 'If-Match',
    required: false,
    description: 'Write only if the record is at this version ("3") or exists (*).',
  })
  @ApiHeader({ name: 'If-None-Match', required: false, description: '* : create only.' })
  @ApiOkResponse({
    type: RecordWriteResponse,
    description: '201 when created, 200 when replaced; ETag is the version.',
  })
  async put(
    @Ctx() ctx: RequestContext,
    @Param('subjectId') subjectId: string,
    @Param('collection') collection: string,
    @Param('recordId') recordId: string,
    @Body() body: unknown,
    @Headers('if-match') ifMatch: string | undefined,
    @Headers('if-none-match') ifNoneMatch: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<RecordWriteResponse> {
    const precondition = parsePrecondition(ifMatch, ifNoneMatch);
    const result = await this.records.put(ctx, subjectId, collection, recordId, body, precondition);
    void reply.status(result.created ? 201 : 200).header('ETag', versionTag(result.version));
    return {
      subjectId: result.subjectId,
      collection: result.collection,
      recordId: result.recordId,
      region: result.region,
      version: result.version,
    };
  }

  @Get(':recordId')
  @ApiHeader({
    name: 'X-Purpose',
    required: true,
    description: 'Why the caller reads, e.g. service-delivery.',
  })
  @ApiHeader({
    name: 'X-Case-Id',
    required: false,
    description: 'The case a moderation or legal read relies on.',
  })
  @ApiQuery({
    name: 'fields',
    required: false,
    description: 'Comma-separated fields to read (default: all).',
  })
  @ApiOkResponse({ type: RecordResponse })
  async get(
    @Ctx() ctx: RequestContext,
    @Param('subjectId') subjectId: string,
    @Param('collection') collection: string,
    @Param('recordId') recordId: string,
    @Query('fields') fields: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<RecordResponse> {
    const record = await this.records.get(
      ctx,
      subjectId,
      collection,
      recordId,
      requestedFields(fields),
    );
    void reply.header('ETag', versionTag(record.version));
    return { ...record, data: { ...record.data }, masked: [...record.masked] };
  }

  @Get()
  @ApiQuery({
    name: 'limit',
    required: false,
    description: `1 to ${String(MAX_PAGE)}, default ${String(DEFAULT_PAGE)}`,
  })
  @ApiQuery({ name: 'cursor', required: false })
  @ApiQuery({ name: 'fields', required: false })
  @ApiHeader({ name: 'X-Purpose', required: true })
  @ApiOkResponse({ type: RecordPageResponse })
  async list(
    @Ctx() ctx: RequestContext,
    @Param('subjectId') subjectId: string,
    @Param('collection') collection: string,
    @Query('limit') limit: string | undefined,
    @Query('cursor') cursor: string | undefined,
    @Query('fields') fields: string | undefined,
  ): Promise<RecordPageResponse> {
    const page = await this.records.list(
      ctx,
      subjectId,
      collection,
      pageSize(limit),
      cursor,
      requestedFields(fields),
    );
    return {
      items: page.items.map((item) => ({
        ...item,
        data: { ...item.data },
        masked: [...item.masked],
      })),
      nextCursor: page.nextCursor,
    };
  }

  @Delete(':recordId')
  @HttpCode(204)
  @ApiHeader({ name: 'If-Match', required: false })
  @ApiNoContentResponse({ description: 'Deleted, with its blind-index entries.' })
  async delete(
    @Ctx() ctx: RequestContext,
    @Param('subjectId') subjectId: string,
    @Param('collection') collection: string,
    @Param('recordId') recordId: string,
    @Headers('if-match') ifMatch: string | undefined,
  ): Promise<void> {
    await this.records.delete(
      ctx,
      subjectId,
      collection,
      recordId,
      parsePrecondition(ifMatch, undefined),
    );
  }
}
