import type { EntityManager } from 'typeorm';
import { execute } from '../platform/database/sql.js';

export interface StoredRegionKey {
  readonly purpose: string;
  readonly keyVersion: number;
  readonly wrappedKey: Buffer;
  readonly kmsKeyId: string;
}

interface Row {
  purpose: string;
  key_version: number;
  wrapped_key: Buffer;
  kms_key_id: string;
}

const toKey = (row: Row): StoredRegionKey => ({
  purpose: row.purpose,
  keyVersion: row.key_version,
  wrappedKey: row.wrapped_key,
  kmsKeyId: row.kms_key_id,
});

/** A region's own wrapped keys (e.g. the blind-index key), one per purpose. */
export class RegionKeysRepository {
  async find(manager: EntityManager, purpose: string): Promise<StoredRegionKey | undefined> {
    const rows = await manager.query<Row[]>(
      'SELECT purpose, key_version, wrapped_key, kms_key_id FROM region_keys WHERE purpose = $1',
      [purpose],
    );
    return rows[0] === undefined ? undefined : toKey(rows[0]);
  }

  /** Inserts unless another gateway instance got there first; returns the key that is stored. */
  async insertOrGet(manager: EntityManager, key: StoredRegionKey): Promise<StoredRegionKey> {
    await manager.query(
      `INSERT INTO region_keys (purpose, key_version, wrapped_key, kms_key_id) VALUES ($1, $2, $3, $4)
       ON CONFLICT (purpose) DO NOTHING`,
      [key.purpose, key.keyVersion, key.wrappedKey, key.kmsKeyId],
    );
    const stored = await this.find(manager, key.purpose);
    if (stored === undefined) throw new Error(`region key ${key.purpose} vanished`);
    return stored;
  }

  async all(manager: EntityManager): Promise<StoredRegionKey[]> {
    const rows = await manager.query<Row[]>(
      'SELECT purpose, key_version, wrapped_key, kms_key_id FROM region_keys ORDER BY purpose',
    );
    return rows.map(toKey);
  }

  async replaceWrapped(
    manager: EntityManager,
    key: StoredRegionKey,
    rewrapped: Buffer,
    kmsKeyId: string,
  ): Promise<boolean> {
    const result = await execute(
      manager,
      `UPDATE region_keys SET wrapped_key = $3, kms_key_id = $4, wrapped_at = now()
       WHERE purpose = $1 AND wrapped_key = $2`,
      [key.purpose, key.wrappedKey, rewrapped, kmsKeyId],
    );
    return result.affected === 1;
  }
}
