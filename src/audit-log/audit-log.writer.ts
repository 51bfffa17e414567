import type { EntityManager } from 'typeorm';
import { isStoreUnavailable } from '../platform/database/store-errors.js';
import type { Decision } from '../policy/decision.js';
import type { RegionRouter } from '../regions/region-router.js';
import { AuditUnavailableError } from './audit-log.errors.js';
import { columnsOf, entryFor, leafOf } from './audit-entry.js';

const COLUMNS = 11;

/**
 * Appends decisions to their region's log: inside the access's own transaction (the entry and
 * the access commit together), or in a transaction of their own (a deny, an access that failed
 * before its transaction). An append is one INSERT of the entries and their place in the
 * integrator's queue: no shared lock, so accesses of a region never wait on each other. The
 * region's integrator later gives each committed entry its leaf index and signs a checkpoint.
 */
export class AuditLogWriter {
  constructor(
    private readonly instanceId: string,
    private readonly router: Pick<RegionRouter, 'transaction'>,
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
    if (decisions.length === 0) return;
    const params: unknown[] = [];
    const rows = decisions.map((decision) => {
      const entry = entryFor(decision, region, this.instanceId, disclosed);
      const columns = columnsOf(entry);
      const at = params.length;
      params.push(
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
      );
      return `(${Array.from({ length: COLUMNS }, (_, i) => `$${String(at + i + 1)}`).join(', ')})`;
    });
    try {
      await manager.query(
        `WITH e AS (
           INSERT INTO audit_entries (decision_id, leaf, logged_at, caller_service, caller_jurisdiction,
                                      subject_ids, action, purpose, allowed, break_glass, bundle_revision)
           VALUES ${rows.join(', ')} RETURNING id)
         INSERT INTO audit_pending (entry_id) SELECT id FROM e`,
        params,
      );
    } catch (error) {
      // A store that went away is the region's outage (503 region_unavailable), handled by the
      // router; anything else refusing the append is the audit log's.
      if (isStoreUnavailable(error)) throw error;
      throw new AuditUnavailableError(region, error);
    }
  }

  /** Appends in a transaction of its own, committed before this resolves. */
  async append(region: string, decisions: readonly Decision[]): Promise<void> {
    await this.router.transaction(region, (manager) =>
      this.appendWithin(manager, region, decisions),
    );
  }
}
