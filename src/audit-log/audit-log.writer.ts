import type { EntityManager } from 'typeorm';
import { isStoreUnavailable } from '../platform/database/store-errors.js';
import type { Decision } from '../policy/decision.js';
import type { RegionRouter } from '../regions/region-router.js';
import { AuditUnavailableError } from './audit-log.errors.js';
import { GENESIS_HASH, chainHash, entryFor } from './audit-entry.js';

interface Head {
  seq: string;
  hash: Buffer;
}

/**
 * Appends decisions to their region's log: inside the access's own transaction (so the entry
 * and the access commit together), or in a transaction of their own (a deny, an access that
 * failed before its transaction). The chain head row is locked for the append, so concurrent
 * writers (any number of gateway instances) take turns and the chain never forks.
 */
export class AuditLogWriter {
  constructor(
    private readonly instanceId: string,
    private readonly router: Pick<RegionRouter, 'transaction'>,
  ) {}

  /** Appends within `manager`'s transaction; they commit or roll back together. */
  async appendWithin(
    manager: EntityManager,
    region: string,
    decisions: readonly Decision[],
  ): Promise<void> {
    for (const decision of decisions) await this.appendOne(manager, region, decision);
  }

  /** Appends in a transaction of its own, committed before this resolves. */
  async append(region: string, decisions: readonly Decision[]): Promise<void> {
    await this.router.transaction(region, (manager) =>
      this.appendWithin(manager, region, decisions),
    );
  }

  private async appendOne(
    manager: EntityManager,
    region: string,
    decision: Decision,
  ): Promise<void> {
    try {
      const head = await this.lockHead(manager, region);
      const seq = Number(head.seq) + 1;
      const entry = entryFor(decision, region, this.instanceId);
      const hash = chainHash(head.hash, region, seq, entry);
      const resource = decision.input.resource;
      await manager.query(
        `INSERT INTO audit_log (region, seq, decision_id, logged_at, entry, prev_hash, hash,
                                caller_service, subject_id, action, allowed, break_glass)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
        [
          region,
          seq,
          entry.decision_id,
          entry.timestamp,
          JSON.stringify(entry),
          head.hash,
          hash,
          decision.input.caller.service,
          resource.subject ?? null,
          decision.input.action,
          decision.allow,
          decision.break_glass,
        ],
      );
      await manager.query('UPDATE audit_head SET seq = $2, hash = $3 WHERE region = $1', [
        region,
        seq,
        hash,
      ]);
    } catch (error) {
      // A store that went away is the region's outage (503 region_unavailable), handled by the
      // router; anything else refusing the append is the audit log's.
      if (isStoreUnavailable(error)) throw error;
      throw new AuditUnavailableError(region, error);
    }
  }

  private async lockHead(manager: EntityManager, region: string): Promise<Head> {
    const locked = await manager.query<Head[]>(
      'SELECT seq::text AS seq, hash FROM audit_head WHERE region = $1 FOR UPDATE',
      [region],
    );
    if (locked[0] !== undefined) return locked[0];
    await manager.query(
      'INSERT INTO audit_head (region, seq, hash) VALUES ($1, 0, $2) ON CONFLICT (region) DO NOTHING',
      [region, GENESIS_HASH],
    );
    const created = await manager.query<Head[]>(
      'SELECT seq::text AS seq, hash FROM audit_head WHERE region = $1 FOR UPDATE',
      [region],
    );
    if (created[0] === undefined) throw new Error('no audit head');
    return created[0];
  }
}
