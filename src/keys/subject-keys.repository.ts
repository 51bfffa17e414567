import type { EntityManager } from 'typeorm';
import { execute } from '../platform/database/sql.js';

export interface StoredSubjectKey {
  readonly subjectId: string;
  readonly keyVersion: number;
  readonly wrappedKey: Buffer;
  readonly kmsKeyId: string;
}

interface Row {
  subject_id: string;
  key_version: number;
  wrapped_key: Buffer;
  kms_key_id: string;
}

const toKey = (row: Row): StoredSubjectKey => ({
  subjectId: row.subject_id,
  keyVersion: row.key_version,
  wrappedKey: row.wrapped_key,
  kmsKeyId: row.kms_key_id,
});

/** A subject as the key path sees it: unknown, erased (a tombstone), or live with its key. */
export type SubjectKeyState =
  | { readonly state: 'missing' }
  | { readonly state: 'erased' }
  | { readonly state: 'live'; readonly key: StoredSubjectKey | undefined };

interface StateRow {
  erased_at: Date | null;
  key_version: number | null;
  wrapped_key: Buffer | null;
  kms_key_id: string | null;
}

/** Wrapped subject keys in one region's store (only wrapped keys are ever stored). */
export class SubjectKeysRepository {
  /**
   * The subject's state and key. `lock` takes a row lock on the subject for the rest of the
   * transaction: `share` for writes (so an erasure cannot interleave), `update` for erasure.
   */
  async state(
    manager: EntityManager,
    subjectId: string,
    lock?: 'share' | 'update',
  ): Promise<SubjectKeyState> {
    const rows = await manager.query<StateRow[]>(
      `SELECT s.erased_at, k.key_version, k.wrapped_key, k.kms_key_id
       FROM subjects s LEFT JOIN subject_keys k ON k.subject_id = s.id
       WHERE s.id = $1${lock === undefined ? '' : lock === 'share' ? ' FOR SHARE OF s' : ' FOR UPDATE OF s'}`,
      [subjectId],
    );
    const row = rows[0];
    if (row === undefined) return { state: 'missing' };
    if (row.erased_at !== null) return { state: 'erased' };
    if (row.key_version === null || row.wrapped_key === null || row.kms_key_id === null) {
      return { state: 'live', key: undefined };
    }
    return {
      state: 'live',
      key: {
        subjectId,
        keyVersion: row.key_version,
        wrappedKey: row.wrapped_key,
        kmsKeyId: row.kms_key_id,
      },
    };
  }

  /** Stores a wrapped key unless the subject already has one; returns the key that is stored. */
  async insertOrGet(manager: EntityManager, key: StoredSubjectKey): Promise<StoredSubjectKey> {
    await manager.query(
      `INSERT INTO subject_keys (subject_id, key_version, wrapped_key, kms_key_id) VALUES ($1, $2, $3, $4)
       ON CONFLICT (subject_id) DO NOTHING`,
      [key.subjectId, key.keyVersion, key.wrappedKey, key.kmsKeyId],
    );
    const stored = await this.find(manager, key.subjectId);
    if (stored === undefined) throw new Error('subject key vanished');
    return stored;
  }

  async find(manager: EntityManager, subjectId: string): Promise<StoredSubjectKey | undefined> {
    const rows = await manager.query<Row[]>(
      'SELECT subject_id, key_version, wrapped_key, kms_key_id FROM subject_keys WHERE subject_id = $1',
      [subjectId],
    );
    return rows[0] === undefined ? undefined : toKey(rows[0]);
  }

  /** Deletes the wrapped key: every ciphertext of the subject becomes unreadable. */
  async destroy(manager: EntityManager, subjectId: string): Promise<number> {
    return (await execute(manager, 'DELETE FROM subject_keys WHERE subject_id = $1', [subjectId]))
      .affected;
  }

  /** The next `limit` keys after `afterSubjectId`, in id order (for the rewrap job). */
  async page(
    manager: EntityManager,
    afterSubjectId: string | null,
    limit: number,
  ): Promise<StoredSubjectKey[]> {
    const rows = await manager.query<Row[]>(
      `SELECT subject_id, key_version, wrapped_key, kms_key_id FROM subject_keys
       WHERE $1::text IS NULL OR subject_id > $1 ORDER BY subject_id LIMIT $2`,
      [afterSubjectId, limit],
    );
    return rows.map(toKey);
  }

  async count(manager: EntityManager): Promise<number> {
    const rows = await manager.query<{ n: number }[]>(
      'SELECT count(*)::int AS n FROM subject_keys',
    );
    return rows[0]?.n ?? 0;
  }

  /** Replaces a wrapped key only if it is still the one that was re-wrapped (no lost update). */
  async replaceWrapped(
    manager: EntityManager,
    key: StoredSubjectKey,
    rewrapped: Buffer,
    kmsKeyId: string,
  ): Promise<boolean> {
    const result = await execute(
      manager,
      `UPDATE subject_keys SET wrapped_key = $3, kms_key_id = $4, wrapped_at = now()
       WHERE subject_id = $1 AND wrapped_key = $2`,
      [key.subjectId, key.wrappedKey, rewrapped, kmsKeyId],
    );
    return result.affected === 1;
  }
}
