import pg from 'pg';
import type { AcknowledgedWrite, RefusedWrite } from './load.js';

export interface ConsistencyReport {
  /** Acknowledged writes not readable as written after every fault healed. */
  readonly lostWrites: number;
  readonly acknowledgedWrites: number;
  /** Writes refused (5xx, nothing written) that took effect anyway. */
  readonly refusedButStored: number;
  /** Writes answered 503 commit_outcome_unknown: either outcome is correct; how many applied. */
  readonly inDoubt: number;
  readonly inDoubtApplied: number;
  readonly refusedWrites: number;
  /** Acknowledged accesses without their log entry. */
  readonly missingAuditEntries: number;
  /** The same, by region and operation. */
  readonly missingByKind: Readonly<Record<string, number>>;
  readonly acknowledgedDecisions: number;
  /** Stored records of the load without their blind-index entry (a partial write). */
  readonly partialWrites: number;
}

/**
 * After every fault has healed: reads each region's store directly (as its owner) and checks
 * what the load was told. A write acknowledged must be there and be what was written; a write
 * refused must not be; every acknowledged access has its entry in the region's log (decision
 * ids are unique there, so "present" is "exactly one"); no record of the load lacks its index.
 */
export async function checkConsistency(
  stores: ReadonlyMap<string, string>,
  acknowledged: readonly AcknowledgedWrite[],
  refused: readonly RefusedWrite[],
  decisions: ReadonlyMap<string, readonly { id: string; op: string; at: number }[]>,
): Promise<ConsistencyReport> {
  let lostWrites = 0;
  let refusedButStored = 0;
  let inDoubt = 0;
  let inDoubtApplied = 0;
  let missingAuditEntries = 0;
  let partialWrites = 0;
  const missingByKind: Record<string, number> = {};
  let acknowledgedDecisions = 0;
  for (const [region, url] of stores) {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const stored = new Map<string, number>();
      const rows = await client.query<{ subject_id: string; record_id: string; version: number }>(
        `SELECT subject_id, record_id, version FROM records
          WHERE collection = 'profile' AND record_id LIKE 'f-%'`,
      );
      for (const row of rows.rows) stored.set(`${row.subject_id}/${row.record_id}`, row.version);
      for (const write of acknowledged.filter((w) => w.region === region))
        if (stored.get(`${write.subjectId}/${write.recordId}`) !== 1) lostWrites++;
      for (const write of refused.filter((w) => w.region === region)) {
        const applied = stored.has(`${write.subjectId}/${write.recordId}`);
        if (write.code === 'commit_outcome_unknown') {
          inDoubt++;
          if (applied) inDoubtApplied++;
        } else if (applied) refusedButStored++;
      }

      const acknowledgedHere = decisions.get(region) ?? [];
      const ids = [...new Set(acknowledgedHere.map((d) => d.id))];
      acknowledgedDecisions += ids.length;
      const logged = await client.query<{ decision_id: string }>(
        'SELECT decision_id FROM audit_entries WHERE decision_id = ANY($1::uuid[])',
        [ids],
      );
      const found = new Set(logged.rows.map((row) => row.decision_id));
      for (const decision of acknowledgedHere) {
        if (found.has(decision.id)) continue;
        missingAuditEntries++;
        const key = `${region} ${decision.op}`;
        missingByKind[key] = (missingByKind[key] ?? 0) + 1;
      }

      const partial = await client.query<{ n: string }>(
        `SELECT count(*)::text AS n FROM records r
          WHERE r.collection = 'profile' AND r.record_id LIKE 'f-%'
            AND NOT EXISTS (SELECT 1 FROM blind_index b
                             WHERE b.subject_id = r.subject_id AND b.collection = r.collection
                               AND b.record_id = r.record_id AND b.field = 'username')`,
      );
      partialWrites += Number(partial.rows[0]?.n ?? 0);
    } finally {
      await client.end();
    }
  }
  return {
    lostWrites,
    acknowledgedWrites: acknowledged.length,
    refusedButStored,
    refusedWrites: refused.length,
    inDoubt,
    inDoubtApplied,
    missingAuditEntries,
    missingByKind,
    acknowledgedDecisions,
    partialWrites,
  };
}
