import type { EntityManager } from 'typeorm';
import { queryCancellably } from './cancellable-query.js';

export interface Candidate {
  readonly subjectId: string;
  readonly recordId: string;
  readonly version: number;
  readonly keyVersion: number;
  readonly envelope: Buffer;
  readonly subjectKeyVersion: number;
  readonly wrappedKey: Buffer;
  readonly kmsKeyId: string;
}

interface Row {
  subject_id: string;
  record_id: string;
  version: number;
  key_version: number;
  envelope: Buffer;
  subject_key_version: number;
  wrapped_key: Buffer;
  kms_key_id: string;
}

/**
 * Blind-index candidates in one region's store: records of a collection whose index entries
 * match every (field, hash) pair, after a position, of live subjects only. Candidates are not
 * matches: truncated hashes collide, so each is decrypted and re-checked by the caller. When
 * `signal` aborts (the region's time is up) the statement is cancelled in PostgreSQL.
 */
export class QueryRepository {
  async candidates(
    manager: EntityManager,
    collection: string,
    matches: readonly { field: string; hash: Buffer }[],
    after: readonly [string, string] | null,
    onlySubjects: readonly string[] | null,
    limit: number,
    signal?: AbortSignal,
  ): Promise<Candidate[]> {
    const params: unknown[] = [collection, after?.[0] ?? '', after?.[1] ?? ''];
    const exists = matches.map((match) => {
      params.push(match.field, match.hash);
      const f = params.length - 1;
      return `EXISTS (SELECT 1 FROM blind_index b WHERE b.subject_id = r.subject_id AND b.collection = r.collection
                AND b.record_id = r.record_id AND b.field = $${String(f)} AND b.hash = $${String(f + 1)})`;
    });
    let subjectFilter = '';
    if (onlySubjects !== null) {
      params.push(onlySubjects);
      subjectFilter = `AND r.subject_id = ANY($${String(params.length)})`;
    }
    params.push(limit);
    const rows = await queryCancellably<Row[]>(
      manager,
      `SELECT r.subject_id, r.record_id, r.version, r.key_version, r.envelope,
              k.key_version AS subject_key_version, k.wrapped_key, k.kms_key_id
       FROM records r
       JOIN subjects s ON s.id = r.subject_id AND s.erased_at IS NULL
       JOIN subject_keys k ON k.subject_id = r.subject_id
       WHERE r.collection = $1 AND (r.subject_id, r.record_id) > ($2, $3)
         AND ${exists.join(' AND ')} ${subjectFilter}
       ORDER BY r.subject_id, r.record_id
       LIMIT $${String(params.length)}`,
      params,
      signal,
    );
    return rows.map((row) => ({
      subjectId: row.subject_id,
      recordId: row.record_id,
      version: row.version,
      keyVersion: row.key_version,
      envelope: row.envelope,
      subjectKeyVersion: row.subject_key_version,
      wrappedKey: row.wrapped_key,
      kmsKeyId: row.kms_key_id,
    }));
  }
}
