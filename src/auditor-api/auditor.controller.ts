import {
  Body,
  Controller,
  Get,
  Header,
  HttpCode,
  Logger,
  Param,
  Post,
  Query,
  Res,
} from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiOkResponse,
  ApiProduces,
  ApiQuery,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { PassThrough, Readable } from 'node:stream';
import { exportRecord } from '../audit-log/audit-log.reader.js';
import { Ctx } from '../auth/request-context.decorator.js';
import type { RequestContext } from '../platform/http/request-context.js';
import { describeError } from '../platform/logging/describe-error.js';
import { InvalidRequestError } from '../platform/errors/domain-error.js';
import { required, time, wholeNumber } from '../platform/http/query-params.js';
import { ApiDecisionFilter, decisionFilter, decisionId } from './audit-query.js';
import { AuditorService, ReceiptPendingError } from './auditor.service.js';
import { CosignatureRequest, VerifyRequest } from './dto/audit.requests.js';

@ApiTags('audit')
@ApiBearerAuth()
@Controller('v1/audit')
export class AuditorController {
  private readonly logger = new Logger('Audit');

  constructor(private readonly audit: AuditorService) {}

  @Get('decisions')
  @ApiQuery({ name: 'region', required: true })
  @ApiQuery({ name: 'from', required: false })
  @ApiDecisionFilter()
  @ApiQuery({ name: 'limit', required: false })
  @ApiQuery({ name: 'cursor', required: false })
  @ApiQuery({ name: 'order', required: false, enum: ['oldest', 'newest'] })
  @ApiOkResponse({
    description:
      'Decision-log entries in log order (or newest first with order=newest), with their leaf index.',
  })
  async decisions(
    @Ctx() ctx: RequestContext,
    @Query() query: Record<string, string | undefined>,
  ): Promise<{ items: Record<string, unknown>[]; nextCursor: string | null }> {
    const region = required('region', query['region']);
    const limit = wholeNumber('limit', query['limit'], { min: 1, max: 500, fallback: 100 });
    const cursor = wholeNumber('cursor', query['cursor'], { min: 0, fallback: 0 });
    const order = query['order'] ?? 'oldest';
    if (order !== 'oldest' && order !== 'newest')
      throw new InvalidRequestError('order must be oldest or newest.');
    const page = await this.audit.decisions(
      ctx,
      region,
      decisionFilter(query),
      cursor,
      limit,
      order,
    );
    return {
      items: page.items.map(exportRecord),
      nextCursor: page.nextCursor === null ? null : String(page.nextCursor),
    };
  }

  @Get('export')
  @ApiQuery({ name: 'region', required: true })
  @ApiQuery({ name: 'since', required: false, description: 'Same as from (kept for scripts).' })
  @ApiQuery({ name: 'from', required: false })
  @ApiDecisionFilter()
  @ApiProduces('application/x-ndjson')
  @ApiOkResponse({
    description: 'application/x-ndjson: one decision-log entry per line, filtered as the search.',
  })
  async export(
    @Ctx() ctx: RequestContext,
    @Query() query: Record<string, string | undefined>,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const since = time('since', query['since']);
    const filter = decisionFilter(query);
    // Decided and logged before the first byte, so a refusal is still a problem response.
    const entries = await this.audit.export(
      ctx,
      required('region', query['region']),
      filter.from === undefined && since !== undefined ? { ...filter, from: since } : filter,
    );
    async function* lines(): AsyncGenerator<string> {
      for await (const row of entries) yield `${JSON.stringify(exportRecord(row))}\n`;
    }
    await reply.type('application/x-ndjson').send(Readable.from(lines()));
  }

  @Get('verify')
  @ApiQuery({ name: 'region', required: true })
  @ApiQuery({ name: 'checkpoint', required: false, description: 'A checkpoint note kept outside.' })
  @ApiOkResponse({ description: 'The verification report (see the README).' })
  async verify(
    @Ctx() ctx: RequestContext,
    @Query('region') region: string | undefined,
    @Query('checkpoint') checkpoint: string | undefined,
  ): Promise<unknown> {
    const outside = checkpoint === undefined ? [] : [{ note: checkpoint, source: 'given' }];
    return this.audit.verify(ctx, required('region', region), outside);
  }

  @Post('verify')
  @HttpCode(200)
  @ApiOkResponse({ description: 'The verification report, against the checkpoints given.' })
  async verifyWith(@Ctx() ctx: RequestContext, @Body() body: VerifyRequest): Promise<unknown> {
    const outside = (body.checkpoints ?? []).map((note) => ({ note, source: 'given' }));
    return this.audit.verify(ctx, body.region, outside);
  }

  @Post('verify/progress')
  @HttpCode(200)
  @ApiProduces('application/x-ndjson')
  @ApiOkResponse({
    description:
      'application/x-ndjson: `{"checked", "total"}` lines while the leaves are walked, then `{"report"}` (the verification report); a stream that ends without a report failed.',
  })
  async verifyWithProgress(
    @Ctx() ctx: RequestContext,
    @Body() body: VerifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const outside = (body.checkpoints ?? []).map((note) => ({ note, source: 'given' }));
    // Decided and logged before the first byte, so a refusal is still a problem response.
    const run = await this.audit.verifyWithProgress(ctx, body.region, outside);
    const lines = new PassThrough();
    void reply.status(200).type('application/x-ndjson').send(lines);
    let sentAt = 0;
    try {
      const report = await run((checked, total) => {
        const now = Date.now();
        if (now - sentAt < 100) return;
        sentAt = now;
        lines.write(`${JSON.stringify({ checked, total })}\n`);
      });
      lines.end(`${JSON.stringify({ report })}\n`);
    } catch (error) {
      // Past the headers a problem response is impossible: the stream breaks off, reportless.
      this.logger.error({
        message: 'a verification with progress failed after it started',
        region: body.region,
        error: describeError(error),
      });
      lines.destroy(error instanceof Error ? error : new Error(String(error)));
    }
  }

  @Get('checkpoint')
  @ApiQuery({ name: 'region', required: true })
  @ApiProduces('text/plain')
  @ApiOkResponse({ description: 'The latest checkpoint (C2SP signed note) with cosignatures.' })
  @Header('Content-Type', 'text/plain; charset=utf-8')
  async checkpoint(
    @Ctx() ctx: RequestContext,
    @Query('region') region: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<string> {
    const latest = await this.audit.checkpoint(ctx, required('region', region));
    if (latest.checkpoint === null) {
      void reply.status(404);
      return 'no checkpoint yet\n';
    }
    return latest.checkpoint;
  }

  @Get('checkpoints')
  @ApiQuery({ name: 'region', required: false })
  @ApiOkResponse({ description: 'Each region’s verifier key and latest checkpoint.' })
  async checkpoints(
    @Ctx() ctx: RequestContext,
    @Query('region') region: string | undefined,
  ): Promise<unknown> {
    return { regions: await this.audit.checkpoints(ctx, region) };
  }

  @Get('entries')
  @ApiQuery({ name: 'region', required: true })
  @ApiQuery({ name: 'start', required: true })
  @ApiQuery({ name: 'count', required: false })
  @ApiOkResponse({ description: '{entries: [{index, leaf (base64 of the exact bytes), entry}]}' })
  async entries(
    @Ctx() ctx: RequestContext,
    @Query() query: Record<string, string | undefined>,
  ): Promise<unknown> {
    const start = wholeNumber('start', query['start'], { min: 0 });
    const count = wholeNumber('count', query['count'], { min: 1, max: 1000, fallback: 100 });
    return {
      entries: await this.audit.entries(ctx, required('region', query['region']), start, count),
    };
  }

  @Get('proofs/inclusion')
  @ApiQuery({ name: 'region', required: true })
  @ApiQuery({ name: 'decisionId', required: true })
  @ApiQuery({ name: 'treeSize', required: false })
  @ApiOkResponse({ description: '{leafIndex, treeSize, hashes} (RFC 9162 §2.1.3, base64)' })
  async inclusion(
    @Ctx() ctx: RequestContext,
    @Query() query: Record<string, string | undefined>,
  ): Promise<unknown> {
    const size =
      query['treeSize'] === undefined
        ? undefined
        : wholeNumber('treeSize', query['treeSize'], { min: 1 });
    return this.audit.inclusion(
      ctx,
      required('region', query['region']),
      decisionId(query['decisionId']),
      size,
    );
  }

  @Get('proofs/consistency')
  @ApiQuery({ name: 'region', required: true })
  @ApiQuery({ name: 'from', required: true })
  @ApiQuery({ name: 'to', required: true })
  @ApiOkResponse({ description: '{hashes} (RFC 9162 §2.1.4, base64)' })
  async consistency(
    @Ctx() ctx: RequestContext,
    @Query() query: Record<string, string | undefined>,
  ): Promise<unknown> {
    return this.audit.consistency(
      ctx,
      required('region', query['region']),
      wholeNumber('from', query['from'], { min: 0 }),
      wholeNumber('to', query['to'], { min: 1 }),
    );
  }

  @Get('receipts/:decisionId')
  @ApiQuery({ name: 'region', required: false })
  @ApiOkResponse({ description: '{region, leafIndex, leaf, checkpoint, inclusion, verifierKey}' })
  @ApiAcceptedResponse({ description: 'Logged, not in a signed checkpoint yet: Retry-After.' })
  async receipt(
    @Ctx() ctx: RequestContext,
    @Param('decisionId') id: string,
    @Query('region') region: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<unknown> {
    try {
      return await this.audit.receipt(ctx, decisionId(id), region);
    } catch (error) {
      if (!(error instanceof ReceiptPendingError)) throw error;
      void reply.status(202).header('Retry-After', '1');
      return { status: 'pending', decisionId: id, detail: error.detail };
    }
  }

  @Post('cosignatures')
  @HttpCode(201)
  @ApiCreatedResponse({ description: 'Stored the cosignatures of known witnesses on the note.' })
  async cosign(@Ctx() ctx: RequestContext, @Body() body: CosignatureRequest): Promise<unknown> {
    return this.audit.cosign(ctx, body.region, body.note);
  }
}
