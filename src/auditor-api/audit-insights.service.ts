import { Injectable } from '@nestjs/common';
import { AccessGate } from '../access/access-gate.js';
import { LogStore } from '../audit-log/log-store.js';
import { TransparencyLog } from '../audit-log/transparency-log.js';
import {
  DomainError,
  InvalidRequestError,
  NotFoundError,
  UnprocessableError,
} from '../platform/errors/domain-error.js';
import type { RequestContext } from '../platform/http/request-context.js';
import { RegionRouter } from '../regions/region-router.js';
import {
  AuditInsightsRepository,
  type BreakGlassItem,
  type FlowBucket,
  type FlowCell,
  type VerificationRecord,
} from './audit-insights.repository.js';

export interface LogHealth {
  readonly region: string;
  readonly jurisdiction: string;
  readonly treeSize: number;
  readonly signedAt: string | null;
  readonly cosignedBy: readonly string[];
  /** Entries committed but not in the tree yet, and how long the oldest has waited. */
  readonly pending: number;
  readonly lagSeconds: number;
  readonly lastVerification: VerificationRecord | null;
}

export interface Flows {
  readonly region: string;
  /** Every entry of a region's log is about data of the region's jurisdiction. */
  readonly dataJurisdiction: string;
  readonly bucket: FlowBucket;
  readonly from: string;
  readonly to: string;
  readonly cells: readonly FlowCell[];
}

/** One review per break-glass decision: the first one stands. */
export class AlreadyReviewedError extends DomainError {
  constructor() {
    super('already_reviewed', 409, 'Already reviewed', {
      detail: 'This decision was reviewed already.',
      logLevel: 'info',
    });
  }
}

const HOUR_MS = 3_600_000;
/** Most buckets one flows answer spans (a month of hours, a year and a bit of days). */
const MAX_BUCKETS = 24 * 31;

/**
 * What the console shows beside search: each region's log health, decision flows across
 * borders, and the queue of break-glass decisions to review. Every call is an access decided
 * and logged by the gate in the region whose log it reads (`audit.read`), and a review is its
 * own audited action (`audit.review`), written with its decision.
 */
@Injectable()
export class AuditInsightsService {
  private readonly repository = new AuditInsightsRepository();

  constructor(
    private readonly router: RegionRouter,
    private readonly gate: AccessGate,
    private readonly log: TransparencyLog,
    private readonly store: LogStore,
  ) {}

  async health(ctx: RequestContext, region: string): Promise<LogHealth> {
    const jurisdiction = this.jurisdictionOf(region);
    return this.gate.run(ctx, {
      action: 'audit.read',
      region,
      purpose: 'none',
      mode: 'read',
      work: async (manager) => {
        const latest = await this.log.latestCheckpoint(manager);
        const cosignatures =
          latest === undefined
            ? []
            : await this.store.cosignatures(manager, latest.checkpoint.size);
        const backlog = await this.store.backlog(manager);
        return {
          region,
          jurisdiction,
          treeSize: latest?.checkpoint.size ?? 0,
          signedAt: latest?.checkpoint.signedAt.toISOString() ?? null,
          cosignedBy: cosignatures.map((c) => c.witness),
          pending: backlog.pending,
          lagSeconds:
            backlog.oldest === null
              ? 0
              : Math.max(0, Math.round((Date.now() - backlog.oldest.getTime()) / 1000)),
          lastVerification: await this.repository.lastVerification(manager),
        };
      },
    });
  }

  async flows(
    ctx: RequestContext,
    region: string,
    bucket: FlowBucket,
    from: Date | undefined,
    to: Date | undefined,
  ): Promise<Flows> {
    const bucketMs = bucket === 'hour' ? HOUR_MS : 24 * HOUR_MS;
    const end = to ?? new Date();
    const start = from ?? new Date(end.getTime() - 24 * bucketMs);
    if (start >= end) throw new InvalidRequestError('from must be before to.');
    if (end.getTime() - start.getTime() > MAX_BUCKETS * bucketMs)
      throw new InvalidRequestError(`At most ${String(MAX_BUCKETS)} buckets; narrow from/to.`);
    const dataJurisdiction = this.jurisdictionOf(region);
    const cells = await this.gate.run(ctx, {
      action: 'audit.read',
      region,
      purpose: 'none',
      mode: 'read',
      work: (manager) => this.repository.flows(manager, bucket, start, end),
    });
    return {
      region,
      dataJurisdiction,
      bucket,
      from: start.toISOString(),
      to: end.toISOString(),
      cells,
    };
  }

  async breakGlass(
    ctx: RequestContext,
    region: string,
    status: 'pending' | 'reviewed' | 'all',
    limit: number,
  ): Promise<BreakGlassItem[]> {
    this.jurisdictionOf(region);
    return this.gate.run(ctx, {
      action: 'audit.read',
      region,
      purpose: 'none',
      mode: 'read',
      work: (manager) => this.repository.breakGlass(manager, status, limit),
    });
  }

  /** Marks a break-glass decision reviewed; the review is itself a logged decision. */
  async review(
    ctx: RequestContext,
    region: string,
    decisionId: string,
    note: string,
  ): Promise<{
    decisionId: string;
    reviewedBy: string;
    reviewedAt: string;
    reviewDecisionId: string;
  }> {
    this.jurisdictionOf(region);
    return this.gate.run(ctx, {
      action: 'audit.review',
      region,
      purpose: 'none',
      work: async (manager, scope) => {
        const breakGlass = await this.repository.breakGlassOf(manager, decisionId);
        if (breakGlass === undefined)
          throw new NotFoundError('decision_not_found', 'Decision not found');
        if (!breakGlass)
          throw new UnprocessableError(
            'not_break_glass',
            'Not a break-glass decision',
            'Only break-glass decisions are reviewed.',
          );
        const reviewDecisionId = scope.decision.decisionId;
        const stored = await this.repository.insertReview(manager, {
          decisionId,
          by: ctx.caller.service,
          note,
          reviewDecisionId,
        });
        if (stored === undefined) throw new AlreadyReviewedError();
        return {
          decisionId,
          reviewedBy: ctx.caller.service,
          reviewedAt: stored.at,
          reviewDecisionId,
        };
      },
    });
  }

  private jurisdictionOf(region: string): string {
    this.router.route(region);
    return this.router.topology.find(region)?.jurisdiction ?? 'unknown';
  }
}
