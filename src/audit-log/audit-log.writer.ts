import type { EntityManager } from 'typeorm';
import { isStoreUnavailable } from '../platform/database/store-errors.js';
import type { Decision } from '../policy/decision.js';
import type { RegionRouter } from '../regions/region-router.js';
import { AuditUnavailableError } from './audit-log.errors.js';
import { columnsOf, entryFor, leafOf } from './audit-entry.js';

const COLUMNS = 11;
/** Most entries one batched INSERT carries (well under PostgreSQL's 65,535 parameters). */
const MAX_BATCH = 500;

interface Queued {
  readonly params: readonly unknown[];
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

interface RegionQueue {
  readonly items: Queued[];
  flushing: boolean;
}

/**
 * Appends decisions to their region's log, with no shared lock, so accesses of a region never
 * wait on each other:
 *
 * - {@link appendWithin} writes inside the access's own transaction (a write: the entry and the
 *   change commit together);
 * - {@link append} is a group commit: entries of concurrent reads, denials and failed accesses
 *   are inserted together, one statement and one commit per batch, and each caller resumes once
 *   its entry is committed (a read never answers before its entry is durable). While a batch
 *   commits, the next one gathers.
 *
 * Each append is one INSERT of the entries and their place in the integrator's queue. The
 * region's integrator later gives each committed entry its leaf index and signs a checkpoint.
 */
export class AuditLogWriter {
  private readonly queues = new Map<string, RegionQueue>();

  constructor(
    private readonly instanceId: string,
    private readonly router: Pick<RegionRouter, 'transaction' | 'read'>,
  ) {}

  /**
   * Appends within `manager`'s transaction; they commit or roll back together. `disclosed`
   * names subjects whose data the access returned without naming them (a query's matches).
   */
  async appendWithin(
    manager: EntityManager,
    region: string,
    decisions: readonly Decision[],
    disclosed: readonly string[] = [],
  ): Promise<void> {
    await this.insert(
      manager,
      region,
      decisions.flatMap((d) => this.params(d, region, disclosed)),
    );
  }

  /** Appends in a group commit with other callers' entries; resolves once committed. */
  async append(
    region: string,
    decisions: readonly Decision[],
    disclosed: readonly string[] = [],
  ): Promise<void> {
    if (decisions.length === 0) return;
    const params = decisions.flatMap((d) => this.params(d, region, disclosed));
    await new Promise<void>((resolve, reject) => {
      let queue = this.queues.get(region);
      if (queue === undefined) {
        queue = { items: [], flushing: false };
        this.queues.set(region, queue);
      }
      queue.items.push({ params, resolve, reject });
      if (!queue.flushing) {
        queue.flushing = true;
        // Let the requests of this turn of the event loop join the batch.
        setImmediate(() => void this.flush(region, queue));
      }
    });
  }

  private async flush(region: string, queue: RegionQueue): Promise<void> {
    for (;;) {
      const batch: Queued[] = [];
      let rows = 0;
      while (queue.items.length > 0 && rows < MAX_BATCH) {
        const item = queue.items.shift() as Queued;
        batch.push(item);
        rows += item.params.length / COLUMNS;
      }
      if (batch.length === 0) {
        queue.flushing = false;
        return;
      }
      try {
        // One statement (the entries and their queue rows, via a CTE) is atomic on its own: no
        // BEGIN/COMMIT round trips around it.
        await this.router.read(region, (manager) =>
          this.insert(
            manager,
            region,
            batch.flatMap((item) => item.params),
          ),
        );
        for (const item of batch) item.resolve();
      } catch (error) {
        for (const item of batch) item.reject(error);
      }
    }
  }

  private params(decision: Decision, region: string, disclosed: readonly string[]): unknown[] {
    const entry = entryFor(decision, region, this.instanceId, disclosed);
    const columns = columnsOf(entry);
    return [
      columns.decisionId,
      leafOf(entry),
      columns.loggedAt,
      columns.callerService,
      columns.callerJurisdiction,
      columns.subjectIds,
      columns.action,
      columns.purpose,
      columns.allowed,
      columns.breakGlass,
      columns.bundleRevision,
    ];
  }

  private async insert(
    manager: EntityManager,
    region: string,
    params: readonly unknown[],
  ): Promise<void> {
    if (params.length === 0) return;
    const rows: string[] = [];
    for (let at = 0; at < params.length; at += COLUMNS) {
      rows.push(
        `(${Array.from({ length: COLUMNS }, (_, i) => `$${String(at + i + 1)}`).join(', ')})`,
      );
    }
    try {
      await manager.query(
        `WITH e AS (
           INSERT INTO audit_entries (decision_id, leaf, logged_at, caller_service, caller_jurisdiction,
                                      subject_ids, action, purpose, allowed, break_glass, bundle_revision)
           VALUES ${rows.join(', ')} RETURNING id)
         INSERT INTO audit_pending (entry_id) SELECT id FROM e`,
        [...params],
      );
    } catch (error) {
      // A store that went away is the region's outage (503 region_unavailable), handled by the
      // router; anything else refusing the append is the audit log's.
      if (isStoreUnavailable(error)) throw error;
      throw new AuditUnavailableError(region, error);
    }
  }
}
