import type { EntityManager } from 'typeorm';
import type { LogVerification } from '../audit-log/log-verifier.js';

export type FlowBucket = 'hour' | 'day';

/** Decisions of one caller jurisdiction and purpose in one time bucket. */
export interface FlowCell {
  readonly at: string;
  readonly callerJurisdiction: string;
  readonly purpose: string;
  readonly total: number;
  readonly denied: number;
}

export interface BreakGlassItem {
  readonly decisionId: string;
  readonly loggedAt: string;
  readonly service: string;
  readonly action: string;
  readonly purpose: string | null;
  readonly subjectIds: readonly string[];
  readonly review: { by: string; note: string; at: string; decisionId: string } | null;
}

export interface VerificationRecord {
  readonly at: string;
  readonly by: string;
  readonly ok: boolean;
  readonly treeSize: number;
  readonly problem: string | null;
  readonly firstBadIndex: number | null;
}

/**
 * The console's reads of a region's log (flows, the break-glass queue, past verifications) and
 * the two rows it writes (a review, a verification's outcome). Plain SQL over indexed columns.
 */
export class AuditInsightsRepository {
  async flows(
    manager: EntityManager,
    bucket: FlowBucket,
    from: Date,
    to: Date,
  ): Promise<FlowCell[]> {
    const rows = await manager.query<
      { at: Date; caller_jurisdiction: string; purpose: string; total: string; denied: string }[]
    >(
      `SELECT date_trunc($1, logged_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS at,
              coalesce(caller_jurisdiction, 'unknown') AS caller_jurisdiction,
              coalesce(purpose, 'none') AS purpose,
              count(*)::text AS total,
              count(*) FILTER (WHERE NOT allowed)::text AS denied
       FROM audit_entries WHERE logged_at >= $2 AND logged_at < $3
       GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`,
      [bucket, from, to],
    );
    return rows.map((row) => ({
      at: row.at.toISOString(),
      callerJurisdiction: row.caller_jurisdiction,
      purpose: row.purpose,
      total: Number(row.total),
      denied: Number(row.denied),
    }));
  }

  /** Break-glass decisions, newest first; `pending`: not reviewed yet. */
  async breakGlass(
    manager: EntityManager,
    status: 'pending' | 'reviewed' | 'all',
    limit: number,
  ): Promise<BreakGlassItem[]> {
    const rows = await manager.query<
      {
        decision_id: string;
        logged_at: Date;
        caller_service: string;
        action: string;
        purpose: string | null;
        subject_ids: string[];
        reviewed_by: string | null;
        note: string | null;
        reviewed_at: Date | null;
        review_decision_id: string | null;
      }[]
    >(
      `SELECT e.decision_id, e.logged_at, e.caller_service, e.action, e.purpose, e.subject_ids,
              r.reviewed_by, r.note, r.reviewed_at, r.review_decision_id
       FROM audit_entries e LEFT JOIN audit_reviews r ON r.decision_id = e.decision_id
       WHERE e.break_glass
         AND ($1 = 'all' OR ($1 = 'pending') = (r.decision_id IS NULL))
       ORDER BY e.id DESC LIMIT $2`,
      [status, limit],
    );
    return rows.map((row) => ({
      decisionId: row.decision_id,
      loggedAt: row.logged_at.toISOString(),
      service: row.caller_service,
      action: row.action,
      purpose: row.purpose,
      subjectIds: row.subject_ids,
      review:
        row.reviewed_by === null || row.reviewed_at === null
          ? null
          : {
              by: row.reviewed_by,
              note: row.note ?? '',
              at: row.reviewed_at.toISOString(),
              decisionId: row.review_decision_id ?? '',
            },
    }));
  }

  /** Whether the decision is in this log, and whether it was break-glass. */
  async breakGlassOf(manager: EntityManager, decisionId: string): Promise<boolean | undefined> {
    const rows = await manager.query<{ break_glass: boolean }[]>(
      'SELECT break_glass FROM audit_entries WHERE decision_id = $1',
      [decisionId],
    );
    return rows[0]?.break_glass;
  }

  /** Records a review; false when the decision was reviewed already. */
  async insertReview(
    manager: EntityManager,
    review: { decisionId: string; by: string; note: string; reviewDecisionId: string },
  ): Promise<{ at: string } | undefined> {
    const rows = await manager.query<{ reviewed_at: Date }[]>(
      `INSERT INTO audit_reviews (decision_id, reviewed_by, note, review_decision_id)
       VALUES ($1, $2, $3, $4) ON CONFLICT (decision_id) DO NOTHING RETURNING reviewed_at`,
      [review.decisionId, review.by, review.note, review.reviewDecisionId],
    );
    const at = rows[0]?.reviewed_at;
    return at === undefined ? undefined : { at: at.toISOString() };
  }

  async recordVerification(
    manager: EntityManager,
    by: string,
    report: LogVerification,
  ): Promise<void> {
    await manager.query(
      `INSERT INTO audit_verifications (verified_by, ok, tree_size, problem, first_bad_index)
       VALUES ($1, $2, $3, $4, $5)`,
      [by, report.ok, report.treeSize, report.problem ?? null, report.firstBadIndex ?? null],
    );
  }

  async lastVerification(manager: EntityManager): Promise<VerificationRecord | null> {
    const rows = await manager.query<
      {
        verified_at: Date;
        verified_by: string;
        ok: boolean;
        tree_size: string;
        problem: string | null;
        first_bad_index: string | null;
      }[]
    >(
      `SELECT verified_at, verified_by, ok, tree_size::text, problem, first_bad_index::text
       FROM audit_verifications ORDER BY id DESC LIMIT 1`,
    );
    const row = rows[0];
    if (row === undefined) return null;
    return {
      at: row.verified_at.toISOString(),
      by: row.verified_by,
      ok: row.ok,
      treeSize: Number(row.tree_size),
      problem: row.problem,
      firstBadIndex: row.first_bad_index === null ? null : Number(row.first_bad_index),
    };
  }
}
