import type { EntityManager } from 'typeorm';
import type { DecisionLogEntry } from './audit-entry.js';
import type { ChainCheckpoint, StoredEntry } from './audit-chain.verifier.js';

/** Runs one read on a region's store (the router's `read`, bound to the region). */
export type StoreReader = <T>(work: (manager: EntityManager) => Promise<T>) => Promise<T>;

/** How many entries one store round trip fetches, for every reader of the log. */
export const AUDIT_PAGE_SIZE = 1000;

export interface DecisionFilter {
  readonly from?: Date;
  readonly to?: Date;
  readonly service?: string;
  readonly subject?: string;
  readonly action?: string;
  readonly allowed?: boolean;
  readonly breakGlass?: boolean;
}

interface Row {
  seq: string;
  entry: DecisionLogEntry;
  prev_hash: Buffer;
  hash: Buffer;
  decision_id: string;
  allowed: boolean;
  break_glass: boolean;
  caller_service: string;
  subject_id: string | null;
  action: string;
  logged_at: Date;
}

const COLUMNS =
  'seq::text AS seq, entry, prev_hash, hash, decision_id::text AS decision_id, allowed, break_glass, caller_service, subject_id, action, logged_at';

const toEntry = (row: Row): StoredEntry => ({
  seq: Number(row.seq),
  entry: row.entry,
  prevHash: row.prev_hash,
  hash: row.hash,
  decisionId: row.decision_id,
  allowed: row.allowed,
  breakGlass: row.break_glass,
  callerService: row.caller_service,
  subjectId: row.subject_id,
  action: row.action,
  loggedAt: row.logged_at,
});

/**
 * Every entry of a region's log after `afterSeq` that matches `filter`, in seq order, fetched
 * page by page: the one way the auditor API, the CLI and the verifier walk the log.
 */
export async function* streamEntries(
  read: StoreReader,
  region: string,
  filter: DecisionFilter = {},
  afterSeq = 0,
): AsyncGenerator<StoredEntry> {
  const reader = new AuditLogReader();
  let after = afterSeq;
  for (;;) {
    const page = await read((manager) =>
      reader.page(manager, region, filter, after, AUDIT_PAGE_SIZE),
    );
    yield* page;
    const last = page.at(-1);
    if (last === undefined || page.length < AUDIT_PAGE_SIZE) return;
    after = last.seq;
  }
}

/** Reads one region's decision log: filtered pages, the chain in order, the head, checkpoints. */
export class AuditLogReader {
  /** Entries after `afterSeq` matching `filter`, in seq order. */
  async page(
    manager: EntityManager,
    region: string,
    filter: DecisionFilter,
    afterSeq: number,
    limit: number,
  ): Promise<StoredEntry[]> {
    const where = ['region = $1', 'seq > $2'];
    const params: unknown[] = [region, afterSeq];
    const add = (clause: string, value: unknown): void => {
      params.push(value);
      where.push(clause.replace('?', `$${String(params.length)}`));
    };
    if (filter.from !== undefined) add('logged_at >= ?', filter.from);
    if (filter.to !== undefined) add('logged_at < ?', filter.to);
    if (filter.service !== undefined) add('caller_service = ?', filter.service);
    if (filter.subject !== undefined) add('subject_id = ?', filter.subject);
    if (filter.action !== undefined) add('action = ?', filter.action);
    if (filter.allowed !== undefined) add('allowed = ?', filter.allowed);
    if (filter.breakGlass !== undefined) add('break_glass = ?', filter.breakGlass);
    params.push(limit);
    const rows = await manager.query<Row[]>(
      `SELECT ${COLUMNS} FROM audit_log WHERE ${where.join(' AND ')} ORDER BY audit_log.seq LIMIT $${String(params.length)}`,
      params,
    );
    return rows.map(toEntry);
  }

  async head(manager: EntityManager, region: string): Promise<ChainCheckpoint | undefined> {
    const rows = await manager.query<{ seq: string; hash: Buffer }[]>(
      'SELECT seq::text AS seq, hash FROM audit_head WHERE region = $1',
      [region],
    );
    const row = rows[0];
    return row === undefined ? undefined : { seq: Number(row.seq), hash: row.hash };
  }

  async count(manager: EntityManager, region: string): Promise<number> {
    const rows = await manager.query<{ n: string }[]>(
      'SELECT count(*)::text AS n FROM audit_log WHERE region = $1',
      [region],
    );
    return Number(rows[0]?.n ?? 0);
  }
}
