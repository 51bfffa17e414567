import type { EntityManager } from 'typeorm';
import type { DecisionLogEntry } from './audit-entry.js';

/** Runs one read on a region's store (the router's `read`, bound to the region). */
export type StoreReader = <T>(work: (manager: EntityManager) => Promise<T>) => Promise<T>;

/** How many entries one store round trip fetches, for every reader of the log. */
export const AUDIT_PAGE_SIZE = 1000;

export interface DecisionFilter {
  readonly from?: Date;
  readonly to?: Date;
  readonly service?: string;
  /** Entries that name this subject, or disclosed its data (a query's matches). */
  readonly subject?: string;
  readonly action?: string;
  readonly purpose?: string;
  readonly allowed?: boolean;
  readonly breakGlass?: boolean;
  readonly bundleRevision?: string;
  readonly callerJurisdiction?: string;
}

/** An entry as auditors read it: the decoded leaf, its bytes, and its place in the log. */
export interface LoggedDecision {
  /** Position in the store (insertion order); the search cursor. */
  readonly id: number;
  /** Leaf index once integrated into the Merkle tree. */
  readonly leafIndex: number | null;
  readonly leaf: Buffer;
  readonly entry: DecisionLogEntry;
}

interface Row {
  id: string;
  leaf: Buffer;
  leaf_index: string | null;
}

/**
 * Entries of a region's log after `afterId` that match `filter`, in insertion order, fetched
 * page by page: the one way the auditor API (search, export) and the CLI walk the log.
 */
export async function* streamDecisions(
  read: StoreReader,
  filter: DecisionFilter = {},
  afterId = 0,
): AsyncGenerator<LoggedDecision> {
  let after = afterId;
  for (;;) {
    const page = await read((manager) => searchDecisions(manager, filter, after, AUDIT_PAGE_SIZE));
    yield* page;
    const last = page.at(-1);
    if (last === undefined || page.length < AUDIT_PAGE_SIZE) return;
    after = last.id;
  }
}

/**
 * One page of entries matching `filter`: in insertion order after `cursor`, or with `newest`
 * first, in reverse order before it (a cursor of 0 then means from the end of the log).
 */
export async function searchDecisions(
  manager: EntityManager,
  filter: DecisionFilter,
  cursor: number,
  limit: number,
  order: 'oldest' | 'newest' = 'oldest',
): Promise<LoggedDecision[]> {
  const newest = order === 'newest';
  const where = [newest ? 'e.id < $1' : 'e.id > $1'];
  const params: unknown[] = [newest && cursor === 0 ? Number.MAX_SAFE_INTEGER : cursor];
  const add = (clause: string, value: unknown): void => {
    params.push(value);
    where.push(clause.replace('?', `$${String(params.length)}`));
  };
  if (filter.from !== undefined) add('e.logged_at >= ?', filter.from);
  if (filter.to !== undefined) add('e.logged_at < ?', filter.to);
  if (filter.service !== undefined) add('e.caller_service = ?', filter.service);
  // The subject's entries from the GIN index first (an init plan), then those rows by id: the
  // planner cannot estimate `@>` on arrays and would otherwise walk the whole log in id order.
  if (filter.subject !== undefined)
    add(
      'e.id = ANY(ARRAY(SELECT s.id FROM audit_entries s WHERE s.subject_ids @> ARRAY[?]::text[]))',
      filter.subject,
    );
  if (filter.action !== undefined) add('e.action = ?', filter.action);
  if (filter.purpose !== undefined) add('e.purpose = ?', filter.purpose);
  if (filter.allowed !== undefined) add('e.allowed = ?', filter.allowed);
  if (filter.breakGlass !== undefined) add('e.break_glass = ?', filter.breakGlass);
  if (filter.bundleRevision !== undefined) add('e.bundle_revision = ?', filter.bundleRevision);
  if (filter.callerJurisdiction !== undefined)
    add('e.caller_jurisdiction = ?', filter.callerJurisdiction);
  params.push(limit);
  const rows = await manager.query<Row[]>(
    `SELECT e.id::text AS id, e.leaf, l.leaf_index::text AS leaf_index
     FROM audit_entries e LEFT JOIN audit_leaves l ON l.entry_id = e.id
     WHERE ${where.join(' AND ')} ORDER BY e.id${newest ? ' DESC' : ''} LIMIT $${String(params.length)}`,
    params,
  );
  return rows.map((row) => ({
    id: Number(row.id),
    leafIndex: row.leaf_index === null ? null : Number(row.leaf_index),
    leaf: row.leaf,
    // Read as stored; whether it is canonical and intact is verification's question.
    entry: JSON.parse(row.leaf.toString('utf8')) as DecisionLogEntry,
  }));
}

/** One exported line (API and CLI): the OPA decision-log entry plus its place in the log. */
export function exportRecord(decision: LoggedDecision): Record<string, unknown> {
  return { ...decision.entry, leaf_index: decision.leafIndex };
}
