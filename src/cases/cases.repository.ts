import type { EntityManager } from 'typeorm';
import { execute } from '../platform/database/sql.js';
import type { Case, CaseKind, CaseStatus } from './case.js';

interface Row {
  id: string;
  kind: CaseKind;
  status: CaseStatus;
  subject_ids: string[];
  reference: string | null;
  opened_by: string;
  opened_at: Date;
  approved_by: string | null;
  approved_at: Date | null;
  closed_by: string | null;
  closed_at: Date | null;
  requester: string | null;
  requester_jurisdiction: string | null;
  expires_at: Date | null;
}

const COLUMNS =
  'id, kind, status, subject_ids, reference, opened_by, opened_at, approved_by, approved_at, closed_by, closed_at, requester, requester_jurisdiction, expires_at';

const toCase = (row: Row): Case => ({
  id: row.id,
  kind: row.kind,
  status: row.status,
  subjectIds: row.subject_ids,
  reference: row.reference,
  openedBy: row.opened_by,
  openedAt: row.opened_at,
  approvedBy: row.approved_by,
  approvedAt: row.approved_at,
  closedBy: row.closed_by,
  closedAt: row.closed_at,
  requester: row.requester,
  requesterJurisdiction: row.requester_jurisdiction,
  expiresAt: row.expires_at,
});

/** Cases in one region's store. */
export class CasesRepository {
  async insert(
    manager: EntityManager,
    fields: Pick<
      Case,
      | 'id'
      | 'kind'
      | 'subjectIds'
      | 'reference'
      | 'openedBy'
      | 'requester'
      | 'requesterJurisdiction'
      | 'expiresAt'
    >,
  ): Promise<Case> {
    const rows = await manager.query<Row[]>(
      `INSERT INTO cases (id, kind, status, subject_ids, reference, opened_by, requester, requester_jurisdiction, expires_at)
       VALUES ($1, $2, 'open', $3, $4, $5, $6, $7, $8) RETURNING ${COLUMNS}`,
      [
        fields.id,
        fields.kind,
        fields.subjectIds,
        fields.reference,
        fields.openedBy,
        fields.requester,
        fields.requesterJurisdiction,
        fields.expiresAt,
      ],
    );
    const row = rows[0];
    if (row === undefined) throw new Error('case insert returned nothing');
    return toCase(row);
  }

  /** Legal requests of this store, newest first (the reviewers' queue). */
  async listLegalRequests(
    manager: EntityManager,
    status: CaseStatus | undefined,
    limit: number,
  ): Promise<Case[]> {
    const rows = await manager.query<Row[]>(
      `SELECT ${COLUMNS} FROM cases WHERE kind = 'legal-request' AND ($1::text IS NULL OR status = $1)
       ORDER BY opened_at DESC, id LIMIT $2`,
      [status ?? null, limit],
    );
    return rows.map(toCase);
  }

  async find(manager: EntityManager, id: string, lock = false): Promise<Case | undefined> {
    const rows = await manager.query<Row[]>(
      `SELECT ${COLUMNS} FROM cases WHERE id = $1${lock ? ' FOR UPDATE' : ''}`,
      [id],
    );
    return rows[0] === undefined ? undefined : toCase(rows[0]);
  }

  async setStatus(
    manager: EntityManager,
    id: string,
    status: 'approved' | 'closed',
    by: string,
  ): Promise<Case> {
    const column = status === 'approved' ? 'approved' : 'closed';
    const { rows } = await execute<Row>(
      manager,
      `UPDATE cases SET status = $2, ${column}_by = $3, ${column}_at = now() WHERE id = $1 RETURNING ${COLUMNS}`,
      [id, status, by],
    );
    const row = rows[0];
    if (row === undefined) throw new Error('case vanished');
    return toCase(row);
  }
}
