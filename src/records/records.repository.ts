import type { EntityManager } from 'typeorm';
import { execute } from '../platform/database/sql.js';
import type { SubjectKeyState } from '../keys/subject-keys.repository.js';
import type { BlindIndexEntry } from '../vault/blind-index.js';

export interface StoredRecord {
  readonly recordId: string;
  readonly version: number;
  readonly keyVersion: number;
  readonly envelope: Buffer;
}

export interface RecordKeyRef {
  readonly subjectId: string;
  readonly collection: string;
  readonly recordId: string;
}

interface Row {
  record_id: string;
  version: number;
  key_version: number;
  envelope: Buffer;
}

interface SubjectRecordRow {
  erased_at: Date | null;
  subject_key_version: number | null;
  wrapped_key: Buffer | null;
  kms_key_id: string | null;
  record_id: string | null;
  version: number | null;
  key_version: number | null;
  envelope: Buffer | null;
}

const toRecord = (row: Row): StoredRecord => ({
  recordId: row.record_id,
  version: row.version,
  keyVersion: row.key_version,
  envelope: row.envelope,
});

/** Encrypted records and their blind-index entries in one region's store. */
export class RecordsRepository {
  async find(manager: EntityManager, ref: RecordKeyRef): Promise<StoredRecord | undefined> {
    const rows = await manager.query<Row[]>(
      `SELECT record_id, version, key_version, envelope FROM records
       WHERE subject_id = $1 AND collection = $2 AND record_id = $3`,
      [ref.subjectId, ref.collection, ref.recordId],
    );
    return rows[0] === undefined ? undefined : toRecord(rows[0]);
  }

  /**
   * A record with its subject's state and key, in one round trip (the read path): `missing`
   * or `erased` subjects answer 404/410 before any record is considered.
   */
  async findWithSubject(
    manager: EntityManager,
    ref: RecordKeyRef,
  ): Promise<{ subject: SubjectKeyState; record: StoredRecord | undefined }> {
    const rows = await manager.query<SubjectRecordRow[]>(
      `SELECT s.erased_at, k.key_version AS subject_key_version, k.wrapped_key, k.kms_key_id,
              r.record_id, r.version, r.key_version, r.envelope
       FROM subjects s
       LEFT JOIN subject_keys k ON k.subject_id = s.id
       LEFT JOIN records r ON r.subject_id = s.id AND r.collection = $2 AND r.record_id = $3
       WHERE s.id = $1`,
      [ref.subjectId, ref.collection, ref.recordId],
    );
    const row = rows[0];
    if (row === undefined) return { subject: { state: 'missing' }, record: undefined };
    if (row.erased_at !== null) return { subject: { state: 'erased' }, record: undefined };
    const key =
      row.subject_key_version === null || row.wrapped_key === null || row.kms_key_id === null
        ? undefined
        : {
            subjectId: ref.subjectId,
            keyVersion: row.subject_key_version,
            wrappedKey: row.wrapped_key,
            kmsKeyId: row.kms_key_id,
          };
    const record =
      row.record_id === null ||
      row.version === null ||
      row.key_version === null ||
      row.envelope === null
        ? undefined
        : {
            recordId: row.record_id,
            version: row.version,
            keyVersion: row.key_version,
            envelope: row.envelope,
          };
    return { subject: { state: 'live', key }, record };
  }

  /**
   * For a write, in one round trip: the subject's state, share-locked (an erasure cannot
   * interleave), and the record's current version (null if absent), locked for update.
   */
  async lockForWrite(
    manager: EntityManager,
    ref: RecordKeyRef,
  ): Promise<{ subject: 'missing' | 'erased' | 'live'; version: number | null }> {
    const rows = await manager.query<{ erased_at: Date | null; version: number | null }[]>(
      `SELECT s.erased_at, r.version
       FROM (SELECT erased_at FROM subjects WHERE id = $1 FOR SHARE) s
       LEFT JOIN LATERAL (SELECT version FROM records
                          WHERE subject_id = $1 AND collection = $2 AND record_id = $3 FOR UPDATE) r ON true`,
      [ref.subjectId, ref.collection, ref.recordId],
    );
    const row = rows[0];
    if (row === undefined) return { subject: 'missing', version: null };
    return { subject: row.erased_at === null ? 'live' : 'erased', version: row.version };
  }

  /**
   * Writes version `version` of a record: an insert when it is new (a concurrent creator then
   * fails on the primary key rather than being overwritten), an update otherwise.
   */
  async write(
    manager: EntityManager,
    ref: RecordKeyRef,
    record: Omit<StoredRecord, 'recordId'>,
  ): Promise<void> {
    const params = [
      ref.subjectId,
      ref.collection,
      ref.recordId,
      record.version,
      record.keyVersion,
      record.envelope,
    ];
    if (record.version === 1) {
      await manager.query(
        `INSERT INTO records (subject_id, collection, record_id, version, key_version, envelope)
         VALUES ($1, $2, $3, $4, $5, $6)`,
        params,
      );
    } else {
      await manager.query(
        `UPDATE records SET version = $4, key_version = $5, envelope = $6, updated_at = now()
         WHERE subject_id = $1 AND collection = $2 AND record_id = $3`,
        params,
      );
    }
  }

  /**
   * Replaces the record's blind-index entries in one statement: entries of fields the record no
   * longer has go, the others are inserted or updated.
   */
  async replaceIndex(
    manager: EntityManager,
    ref: RecordKeyRef,
    entries: readonly BlindIndexEntry[],
  ): Promise<void> {
    await manager.query(
      `WITH gone AS (
         DELETE FROM blind_index WHERE subject_id = $1 AND collection = $2 AND record_id = $3
           AND NOT (field = ANY($4::text[])))
       INSERT INTO blind_index (subject_id, collection, record_id, field, hash)
       SELECT $1, $2, $3, f, h FROM unnest($4::text[], $5::bytea[]) AS t(f, h)
       ON CONFLICT (subject_id, collection, record_id, field) DO UPDATE SET hash = EXCLUDED.hash`,
      [
        ref.subjectId,
        ref.collection,
        ref.recordId,
        entries.map((entry) => entry.field),
        entries.map((entry) => entry.hash),
      ],
    );
  }

  /** Deletes one record; its index entries go with it (ON DELETE CASCADE). */
  async delete(manager: EntityManager, ref: RecordKeyRef): Promise<boolean> {
    const result = await execute(
      manager,
      'DELETE FROM records WHERE subject_id = $1 AND collection = $2 AND record_id = $3',
      [ref.subjectId, ref.collection, ref.recordId],
    );
    return result.affected === 1;
  }

  /** A page of a subject's records in one collection, in record-id order after `after`. */
  async page(
    manager: EntityManager,
    subjectId: string,
    collection: string,
    after: string | null,
    limit: number,
  ): Promise<StoredRecord[]> {
    const rows = await manager.query<Row[]>(
      `SELECT record_id, version, key_version, envelope FROM records
       WHERE subject_id = $1 AND collection = $2 AND ($3::text IS NULL OR record_id > $3)
       ORDER BY record_id LIMIT $4`,
      [subjectId, collection, after, limit],
    );
    return rows.map(toRecord);
  }

  /** Erasure: every record and index entry of a subject. Returns what was deleted. */
  async deleteAllOf(
    manager: EntityManager,
    subjectId: string,
  ): Promise<{ records: number; indexEntries: number }> {
    const index = await execute(manager, 'DELETE FROM blind_index WHERE subject_id = $1', [
      subjectId,
    ]);
    const records = await execute(manager, 'DELETE FROM records WHERE subject_id = $1', [
      subjectId,
    ]);
    return { records: records.affected, indexEntries: index.affected };
  }
}
