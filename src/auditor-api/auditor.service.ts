import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AccessGate } from '../access/access-gate.js';
import type { AccessAction } from '../access/access.js';
import {
  searchDecisions,
  streamDecisions,
  type DecisionFilter,
  type LoggedDecision,
} from '../audit-log/audit-log.reader.js';
import { LogStore } from '../audit-log/log-store.js';
import type { LogVerification, OutsideCheckpoint } from '../audit-log/log-verifier.js';
import { TransparencyLog, type ReceiptLookup } from '../audit-log/transparency-log.js';
import {
  DomainError,
  InvalidRequestError,
  NotFoundError,
} from '../platform/errors/domain-error.js';
import type { RequestContext } from '../platform/http/request-context.js';
import { RegionRouter } from '../regions/region-router.js';
import { AuditInsightsRepository } from './audit-insights.repository.js';

export interface RegionCheckpoint {
  readonly region: string;
  readonly origin: string;
  /** C2SP verifier key the region's checkpoints verify under. */
  readonly verifierKey: string;
  readonly treeSize: number;
  readonly rootHash: string | null;
  readonly signedAt: string | null;
  /** The latest checkpoint note with witness cosignatures (null before the first). */
  readonly checkpoint: string | null;
  readonly cosignedBy: readonly string[];
}

/** The decision has not reached a signed checkpoint yet: 202 with Retry-After. */
export class ReceiptPendingError extends DomainError {
  constructor() {
    super('receipt_pending', 202, 'Not integrated yet', {
      detail: 'The decision is logged but not yet in a signed checkpoint; retry in a second.',
      headers: { 'Retry-After': '1' },
      logLevel: 'none',
    });
  }
}

/**
 * The auditors' API over each region's transparency log: search and export, verification,
 * checkpoints, entries by index, proofs, receipts, and witnesses' cosignatures. Every call is an
 * access (`audit.read`, `audit.cosign`: auditors only), decided and logged by the gate in the
 * region whose log it reads, in the same transaction as what it read.
 */
@Injectable()
export class AuditorService {
  constructor(
    private readonly router: RegionRouter,
    private readonly gate: AccessGate,
    private readonly log: TransparencyLog,
    private readonly store: LogStore,
  ) {}

  private readonly insights = new AuditInsightsRepository();

  async decisions(
    ctx: RequestContext,
    region: string,
    filter: DecisionFilter,
    cursor: number,
    limit: number,
    order: 'oldest' | 'newest' = 'oldest',
  ): Promise<{ items: LoggedDecision[]; nextCursor: number | null }> {
    const rows = await this.audited(ctx, region, (m) =>
      searchDecisions(m, filter, cursor, limit + 1, order),
    );
    const items = rows.slice(0, limit);
    return { items, nextCursor: rows.length > limit ? (items.at(-1)?.id ?? null) : null };
  }

  /** The region's log entries matching `filter`, entry by entry (the access is logged first). */
  async export(
    ctx: RequestContext,
    region: string,
    filter: DecisionFilter,
  ): Promise<AsyncGenerator<LoggedDecision>> {
    await this.audited(ctx, region, () => Promise.resolve());
    return streamDecisions((work) => this.router.read(region, work), filter);
  }

  async verify(
    ctx: RequestContext,
    region: string,
    outside: readonly OutsideCheckpoint[],
  ): Promise<LogVerification> {
    // This call's own entry is logged with the work, after the walk: it is not in what it verifies.
    return this.audited(ctx, region, () => this.verifyAndRecord(ctx, region, outside));
  }

  /**
   * The same verification, for a caller that shows progress: decided and logged first (so a
   * refusal is still a problem response), then walked by the returned function, which reports
   * each page of leaves checked.
   */
  async verifyWithProgress(
    ctx: RequestContext,
    region: string,
    outside: readonly OutsideCheckpoint[],
  ): Promise<(onProgress: (checked: number, total: number) => void) => Promise<LogVerification>> {
    await this.audited(ctx, region, () => Promise.resolve());
    return (onProgress) => this.verifyAndRecord(ctx, region, outside, onProgress);
  }

  private async verifyAndRecord(
    ctx: RequestContext,
    region: string,
    outside: readonly OutsideCheckpoint[],
    onProgress?: (checked: number, total: number) => void,
  ): Promise<LogVerification> {
    const report = await this.log.verify(region, outside, onProgress);
    // Kept for log health (the console shows the last full verification and its outcome).
    await this.router.transaction(region, (m) =>
      this.insights.recordVerification(m, ctx.caller.service, report),
    );
    return report;
  }

  async checkpoint(ctx: RequestContext, region: string): Promise<RegionCheckpoint> {
    return this.audited(ctx, region, async (manager) => {
      const latest = await this.log.latestCheckpoint(manager);
      const cosignatures =
        latest === undefined ? [] : await this.store.cosignatures(manager, latest.checkpoint.size);
      return {
        region,
        origin: this.log.origin(region),
        verifierKey: this.log.verifierKey(region),
        treeSize: latest?.checkpoint.size ?? 0,
        rootHash: latest?.checkpoint.root.toString('base64') ?? null,
        signedAt: latest?.checkpoint.signedAt.toISOString() ?? null,
        checkpoint: latest?.note ?? null,
        cosignedBy: cosignatures.map((c) => c.witness),
      };
    });
  }

  /**
   * One region's verifier key and latest checkpoint, or those of every region this process
   * serves (in a cell: its own; each cell answers for its regions).
   */
  async checkpoints(ctx: RequestContext, region: string | undefined): Promise<RegionCheckpoint[]> {
    const regions = region === undefined ? this.router.topology.local.map((r) => r.id) : [region];
    return Promise.all(regions.map((id) => this.checkpoint(ctx, id)));
  }

  async entries(
    ctx: RequestContext,
    region: string,
    start: number,
    count: number,
  ): Promise<{ index: number; leaf: string; entry: unknown }[]> {
    const leaves = await this.audited(ctx, region, (m) => this.store.leaves(m, start, count));
    return leaves.map(({ index, leaf }) => ({
      index,
      leaf: leaf.toString('base64'),
      entry: JSON.parse(leaf.toString('utf8')) as unknown,
    }));
  }

  async inclusion(
    ctx: RequestContext,
    region: string,
    decisionId: string,
    treeSize: number | undefined,
  ): Promise<{ leafIndex: number; treeSize: number; hashes: string[] }> {
    return this.audited(ctx, region, async (manager) => {
      const found = await this.store.leafOfDecision(manager, decisionId);
      if (found === undefined) throw new NotFoundError('decision_not_found', 'Decision not found');
      const latest = await this.store.latestCheckpoint(manager);
      const size = treeSize ?? latest?.size ?? 0;
      if (found.index === undefined || found.index >= size) throw new ReceiptPendingError();
      await this.requireSigned(manager, size);
      const hashes = await this.log.inclusionProof(manager, found.index, size);
      return {
        leafIndex: found.index,
        treeSize: size,
        hashes: hashes.map((h) => h.toString('base64')),
      };
    });
  }

  async consistency(
    ctx: RequestContext,
    region: string,
    from: number,
    to: number,
  ): Promise<{ hashes: string[] }> {
    if (from > to) throw new InvalidRequestError('from must not exceed to.');
    return this.audited(ctx, region, async (manager) => {
      // `to` is a size the log signed; `from` is whatever size the asker saw before.
      await this.requireSigned(manager, to);
      const hashes = await this.log.consistencyProof(manager, from, to);
      return { hashes: hashes.map((h) => h.toString('base64')) };
    });
  }

  /**
   * A receipt, from the given region or from whichever region of the caller's jurisdiction this
   * process serves holds the decision (an auditor reads the logs of its own jurisdiction only;
   * in a cell, name the region to reach another cell's log).
   */
  async receipt(ctx: RequestContext, decisionId: string, region: string | undefined) {
    const regions =
      region === undefined
        ? this.router.topology.local
            .filter((r) => r.jurisdiction === ctx.caller.jurisdiction)
            .map((r) => r.id)
        : [region];
    const lookups = await Promise.all(
      regions.map((id) =>
        this.audited(ctx, id, (m): Promise<ReceiptLookup> => this.log.receipt(m, id, decisionId)),
      ),
    );
    const found = lookups.find((lookup) => lookup.status === 'found');
    if (found?.status === 'found') return found.receipt;
    if (lookups.some((lookup) => lookup.status === 'pending')) throw new ReceiptPendingError();
    throw new NotFoundError('decision_not_found', 'Decision not found');
  }

  async cosign(
    ctx: RequestContext,
    region: string,
    note: string,
  ): Promise<{ treeSize: number; witnesses: string[] }> {
    return this.audited(
      ctx,
      region,
      (m) => this.log.addCosignatures(m, region, note),
      'audit.cosign',
    );
  }

  /** Proofs are served only against tree sizes the log has signed. */
  private async requireSigned(manager: EntityManager, size: number): Promise<void> {
    if ((await this.store.checkpoint(manager, size)) === undefined) {
      throw new NotFoundError(
        'checkpoint_not_found',
        'No such checkpoint',
        `The log has not signed a checkpoint of size ${String(size)}.`,
      );
    }
  }

  private async audited<T>(
    ctx: RequestContext,
    region: string,
    work: (manager: EntityManager) => Promise<T>,
    action: AccessAction = 'audit.read',
  ): Promise<T> {
    this.router.route(region);
    // Reads of the log are group-committed; a cosignature is written with its decision.
    return this.gate.run(ctx, {
      action,
      region,
      purpose: 'none',
      mode: action === 'audit.read' ? 'read' : 'write',
      work,
    });
  }
}
