import { createHash } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { PolicyService } from '../policy/policy.service.js';
import { canonicalJson } from '../platform/encoding/canonical-json.js';
import { GATEWAY_CONFIG } from '../platform/config/config.module.js';
import type { GatewayConfig } from '../platform/config/gateway-config.js';
import { DomainError } from '../platform/errors/domain-error.js';
import type { RequestContext } from '../platform/http/request-context.js';
import { DeadlineExceededError, withDeadline } from '../platform/resilience/deadline.js';
import { PurposeRequiredError } from '../access/access-gate.js';
import type { RecordView } from '../records/record-view.js';
import { RegionTopology } from '../regions/region-topology.js';
import { InvalidQueryError } from './query.errors.js';
import { validateFields, validateWhere } from './query-validation.js';
import { QueryCursorCodec, type RegionPositions } from './query-cursor.js';
import { RegionQueryExecutor, type RegionOutcome } from './region-query.executor.js';
import { PeerQueryPart, type CallerCredential } from './peer-query-part.js';
import { RegionNotServedHereError } from '../regions/region-router.js';

/** One region's part of a query, as a peer cell asks for it (`POST /v1/query/parts`). */
export interface QueryPartRequest {
  readonly region: string;
  readonly collection: string;
  readonly where: Readonly<Record<string, unknown>>;
  readonly fields: readonly string[];
  readonly limit: number;
  readonly after: readonly [string, string] | null;
}

export interface QueryRequest {
  readonly collection: string;
  readonly where: Readonly<Record<string, unknown>>;
  readonly jurisdictions?: readonly string[];
  readonly fields?: readonly string[];
  readonly limit: number;
  readonly cursor?: string;
}

export type RegionStatus =
  | { status: 'ok'; count: number; decisionId?: string; candidates?: number }
  | { status: 'denied'; count: 0; decisionId: string; reasons: readonly string[] }
  | { status: 'unavailable'; count: 0; reason: string };

export interface QueryResult {
  readonly items: readonly RecordView[];
  readonly regions: Readonly<Record<string, RegionStatus>>;
  readonly nextCursor: string | null;
}

type Settled =
  | RegionOutcome
  | { readonly status: 'unavailable'; readonly reason: string }
  | { readonly status: 'exhausted' };

/**
 * Cross-border query: fans out to every region of the requested jurisdictions in parallel;
 * each region decides for itself, searches its blind index and answers only what its policy
 * permits. A region that is slow or down answers `unavailable` and the others still answer.
 * Items come in a stable order (region order, then subject and record id) with an
 * authenticated cursor carrying each region's position.
 */
@Injectable()
export class QueryService {
  private readonly logger = new Logger('Query');
  private readonly cursors: QueryCursorCodec;

  constructor(
    private readonly policy: PolicyService,
    private readonly topology: RegionTopology,
    private readonly executor: RegionQueryExecutor,
    private readonly peerPart: PeerQueryPart,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
  ) {
    this.cursors = new QueryCursorCodec(config.query.cursorSecret);
  }

  /**
   * `credential` is the caller's own token: a region served by another cell gets its part from
   * that cell, which verifies the caller itself.
   */
  async query(
    ctx: RequestContext,
    request: QueryRequest,
    credential: CallerCredential,
  ): Promise<QueryResult> {
    // Checked here too: the purpose is part of what the cursor is bound to.
    const purpose = ctx.purpose;
    if (purpose === null) throw new PurposeRequiredError();
    // One bundle validates the query and decides every region's part of it.
    const policy = this.policy.snapshot();
    const collection = policy.catalog.collection(request.collection);
    const where = validateWhere(collection, request.where);
    const fields = validateFields(collection, request.fields);
    const regions = this.regionsOf(request.jurisdictions);
    const digest = createHash('sha256')
      .update(
        canonicalJson({
          collection: collection.name,
          where,
          fields: [...fields].sort(),
          regions: regions.map((r) => r.id),
          service: ctx.caller.service,
          purpose,
          case: ctx.caseId,
        }),
      )
      .digest('hex')
      .slice(0, 32);
    const positions: RegionPositions =
      request.cursor === undefined ? {} : this.cursors.decode(request.cursor, digest);
    const spec = { policy, collection, where, fields, limit: request.limit };

    const settled = await Promise.all(
      regions.map(async (region): Promise<[string, Settled]> => {
        const position = positions[region.id];
        if (position === 'done') return [region.id, { status: 'exhausted' }];
        const after = position ?? null;
        return [
          region.id,
          await this.withTimeout(ctx, region.id, (signal) =>
            this.topology.isLocal(region.id)
              ? this.executor.run(ctx, region.id, spec, after, signal)
              : this.peerPart.run(
                  ctx,
                  credential,
                  region.id,
                  { collection: collection.name, where, fields, limit: request.limit },
                  after,
                  signal,
                ),
          ),
        ];
      }),
    );

    const items: RecordView[] = [];
    const next: Record<string, readonly [string, string] | 'done'> = {};
    const statuses: Record<string, RegionStatus> = {};
    let more = false;
    for (const [region, outcome] of settled) {
      switch (outcome.status) {
        case 'exhausted':
          next[region] = 'done';
          statuses[region] = { status: 'ok', count: 0 };
          break;
        case 'denied':
          next[region] = 'done';
          statuses[region] = {
            status: 'denied',
            count: 0,
            decisionId: outcome.decisionId,
            reasons: outcome.reasons,
          };
          break;
        case 'unavailable': {
          const kept = positions[region];
          if (kept !== undefined) next[region] = kept;
          statuses[region] = { status: 'unavailable', count: 0, reason: outcome.reason };
          break;
        }
        case 'ok': {
          const taken = outcome.items.slice(0, Math.max(0, request.limit - items.length));
          items.push(...taken);
          const last = taken.at(-1);
          const exhausted = taken.length === outcome.items.length && !outcome.hasMore;
          if (exhausted) next[region] = 'done';
          else if (last !== undefined) next[region] = [last.subjectId, last.recordId];
          else if (positions[region] !== undefined) next[region] = positions[region];
          more ||= !exhausted;
          statuses[region] = {
            status: 'ok',
            count: taken.length,
            decisionId: outcome.decisionId,
            candidates: outcome.candidates,
          };
          break;
        }
      }
    }
    return {
      items,
      regions: statuses,
      nextCursor: more ? this.cursors.encode(digest, next) : null,
    };
  }

  /**
   * The part of a query about one region this cell serves, asked by the cell that fans the
   * query out: validated against this cell's own bundle and decided here, within this cell's
   * region timeout.
   */
  async part(ctx: RequestContext, request: QueryPartRequest): Promise<Settled> {
    const purpose = ctx.purpose;
    if (purpose === null) throw new PurposeRequiredError();
    if (!this.topology.isLocal(request.region)) throw new RegionNotServedHereError(request.region);
    const policy = this.policy.snapshot();
    const collection = policy.catalog.collection(request.collection);
    const spec = {
      policy,
      collection,
      where: validateWhere(collection, request.where),
      fields: validateFields(collection, request.fields),
      limit: request.limit,
    };
    return this.withTimeout(ctx, request.region, (signal) =>
      this.executor.run(ctx, request.region, spec, request.after, signal),
    );
  }

  /**
   * A region's part, given `regionTimeoutMs`: past it the region is `unavailable` (`timeout`)
   * and its work is aborted, which cancels its statement in PostgreSQL and gives its
   * connection back (see `queryCancellably`); the decision taken is still logged.
   */
  private async withTimeout(
    ctx: RequestContext,
    region: string,
    work: (signal: AbortSignal) => Promise<Settled>,
  ): Promise<Settled> {
    // Within the region timeout and what is left of the request's budget, whichever is less.
    const timeoutMs = Math.max(
      1,
      Math.min(this.config.query.regionTimeoutMs, ctx.deadline - performance.now()),
    );
    try {
      return await withDeadline(`query:${region}`, timeoutMs, work);
    } catch (error) {
      if (error instanceof DeadlineExceededError)
        return { status: 'unavailable', reason: 'timeout' };
      const reason = error instanceof DomainError ? error.code : 'internal_error';
      if (!(error instanceof DomainError))
        this.logger.error({ message: 'a region failed a query', region });
      return { status: 'unavailable', reason };
    }
  }

  private regionsOf(jurisdictions: readonly string[] | undefined) {
    if (jurisdictions === undefined) return [...this.topology.regions];
    const known = new Set(this.topology.regions.map((r) => r.jurisdiction));
    const unknown = jurisdictions.find((j) => !known.has(j));
    if (unknown !== undefined) {
      throw new InvalidQueryError(
        'unknown_jurisdiction',
        'Unknown jurisdiction',
        `No region of jurisdiction ${unknown} is configured.`,
      );
    }
    return this.topology.regions.filter((region) => jurisdictions.includes(region.jurisdiction));
  }
}
