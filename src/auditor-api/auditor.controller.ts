import { Controller, Get, HttpCode, Post, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Readable } from 'node:stream';
import { Ctx } from '../auth/request-context.decorator.js';
import { InvalidRequestError } from '../platform/errors/domain-error.js';
import type { RequestContext } from '../platform/http/request-context.js';
import { exportRecord } from '../audit-log/audit-entry.js';
import type { DecisionFilter } from '../audit-log/audit-log.reader.js';
import { AuditorService } from './auditor.service.js';

function required(name: string, value: string | undefined): string {
  if (value === undefined || value === '') throw new InvalidRequestError(`${name} is required.`);
  return value;
}

function time(name: string, value: string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const parsed = new Date(value);
  if (Number.isNaN(parsed.getTime()))
    throw new InvalidRequestError(`${name} must be an ISO 8601 time.`);
  return parsed;
}

function flag(name: string, value: string | undefined): boolean | undefined {
  if (value === undefined) return undefined;
  if (value !== 'true' && value !== 'false')
    throw new InvalidRequestError(`${name} must be true or false.`);
  return value === 'true';
}

function cursor(value: string | undefined): number {
  if (value === undefined) return 0;
  if (!/^\d{1,15}$/.test(value))
    throw new InvalidRequestError('cursor must be a nextCursor from a previous page.');
  return Number(value);
}

@ApiTags('audit')
@ApiBearerAuth()
@Controller('v1/audit')
export class AuditorController {
  constructor(private readonly audit: AuditorService) {}

  @Get('decisions')
  @ApiQuery({ name: 'region', required: true })
  @ApiQuery({ name: 'from', required: false })
  @ApiQuery({ name: 'to', required: false })
  @ApiQuery({ name: 'service', required: false })
  @ApiQuery({ name: 'subject', required: false })
  @ApiQuery({ name: 'action', required: false })
  @ApiQuery({ name: 'allowed', required: false })
  @ApiQuery({ name: 'breakGlass', required: false })
  @ApiQuery({ name: 'limit', required: false })
  @ApiQuery({ name: 'cursor', required: false })
  @ApiOkResponse({ description: 'Decision-log entries in seq order, with their chain hashes.' })
  async decisions(
    @Ctx() ctx: RequestContext,
    @Query() query: Record<string, string | undefined>,
  ): Promise<{ items: Record<string, unknown>[]; nextCursor: string | null }> {
    const region = required('region', query['region']);
    const limit = query['limit'] === undefined ? 100 : Number(query['limit']);
    if (!Number.isInteger(limit) || limit < 1 || limit > 500)
      throw new InvalidRequestError('limit must be 1 to 500.');
    const from = time('from', query['from']);
    const to = time('to', query['to']);
    const allowed = flag('allowed', query['allowed']);
    const breakGlass = flag('breakGlass', query['breakGlass']);
    const filter: DecisionFilter = {
      ...(from === undefined ? {} : { from }),
      ...(to === undefined ? {} : { to }),
      ...(query['service'] === undefined ? {} : { service: query['service'] }),
      ...(query['subject'] === undefined ? {} : { subject: query['subject'] }),
      ...(query['action'] === undefined ? {} : { action: query['action'] }),
      ...(allowed === undefined ? {} : { allowed }),
      ...(breakGlass === undefined ? {} : { breakGlass }),
    };
    const page = await this.audit.decisions(ctx, region, filter, cursor(query['cursor']), limit);
    return {
      items: page.entries.map((row) => exportRecord(region, row)),
      nextCursor: page.nextCursor === null ? null : String(page.nextCursor),
    };
  }

  @Get('verify')
  @ApiQuery({ name: 'region', required: true })
  @ApiQuery({
    name: 'checkpoint',
    required: false,
    description: 'A signed checkpoint kept by an outside monitor.',
  })
  @ApiOkResponse({ description: '{ok, entries, headSeq, headHash, firstBadSeq?, problem?}' })
  async verify(
    @Ctx() ctx: RequestContext,
    @Query('region') region: string | undefined,
    @Query('checkpoint') checkpoint: string | undefined,
  ): Promise<unknown> {
    return this.audit.verify(ctx, required('region', region), checkpoint);
  }

  @Get('export')
  @ApiQuery({ name: 'region', required: true })
  @ApiQuery({ name: 'since', required: false })
  @ApiOkResponse({ description: 'application/x-ndjson: one decision-log entry per line.' })
  async export(
    @Ctx() ctx: RequestContext,
    @Query('region') region: string | undefined,
    @Query('since') since: string | undefined,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const name = required('region', region);
    // Decided and logged before the first byte, so a refusal is still a problem response.
    const entries = await this.audit.export(ctx, name, time('since', since));
    async function* lines(): AsyncGenerator<string> {
      for await (const row of entries) yield `${JSON.stringify(exportRecord(name, row))}\n`;
    }
    await reply.type('application/x-ndjson').send(Readable.from(lines()));
  }

  @Get('checkpoints')
  @ApiQuery({ name: 'region', required: true })
  @ApiOkResponse({ description: 'The signing public key (JWK) and the signed chain heads.' })
  async checkpoints(
    @Ctx() ctx: RequestContext,
    @Query('region') region: string | undefined,
  ): Promise<unknown> {
    return this.audit.listCheckpoints(ctx, required('region', region));
  }

  @Post('checkpoints')
  @HttpCode(201)
  @ApiQuery({ name: 'region', required: true })
  @ApiOkResponse({ description: 'Signs the current head now.' })
  async checkpointNow(
    @Ctx() ctx: RequestContext,
    @Query('region') region: string | undefined,
  ): Promise<unknown> {
    return this.audit.checkpointNow(ctx, required('region', region));
  }
}
