import { createHmac } from 'node:crypto';
import type { CollectionSpec, FieldSpec, RecordDocument } from '../catalog/collection-catalog.js';

export interface BlindIndexEntry {
  readonly field: string;
  readonly hash: Buffer;
}

/** The form of a value that is indexed: trimmed, Unicode NFC, e-mail addresses lower-cased. */
export function normalizeIndexedValue(
  field: Pick<FieldSpec, 'normalize'>,
  value: string | number | boolean,
): string {
  const text = String(value).normalize('NFC').trim();
  return field.normalize === 'email' ? text.toLowerCase() : text;
}

/**
 * HMAC-SHA256 under the region's blind-index key of `collection \0 field \0 value`, truncated
 * to `bytes`. Binding collection and field keeps equal values in different fields unlinkable.
 * Truncation causes false positives, so matches must be re-checked on the decrypted record.
 */
export function blindIndexHash(
  indexKey: Buffer,
  collection: string,
  field: FieldSpec,
  value: string | number | boolean,
  bytes: number,
): Buffer {
  return createHmac('sha256', indexKey)
    .update(`${collection}\u0000${field.name}\u0000${normalizeIndexedValue(field, value)}`, 'utf8')
    .digest()
    .subarray(0, bytes);
}

/** The blind-index entries of a record: one per indexed field that holds a value. */
export function blindIndexEntries(
  indexKey: Buffer,
  collection: CollectionSpec,
  document: RecordDocument,
  bytes: number,
): BlindIndexEntry[] {
  const entries: BlindIndexEntry[] = [];
  for (const field of collection.indexedFields) {
    const value = document[field.name];
    if (value === undefined || value === null) continue;
    entries.push({
      field: field.name,
      hash: blindIndexHash(indexKey, collection.name, field, value, bytes),
    });
  }
  return entries;
}
