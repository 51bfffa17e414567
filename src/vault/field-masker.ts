import { createHmac } from 'node:crypto';
import type { RecordDocument } from '../catalog/collection-catalog.js';
import type { FieldAction } from '../policy/decision.js';
import { jcs } from '../platform/encoding/jcs.js';

export const PSEUDONYM_PREFIX = 'pn_';
const PSEUDONYM_DOMAIN = Buffer.from('residency-gateway/pseudonym/v2', 'utf8');
const PSEUDONYM_BYTES = 16;
/**
 * The writer domain of records sealed before writers were recorded (format 1 envelopes). No
 * service can write into it: the vault refuses to seal with an empty writer.
 */
export const UNKNOWN_WRITER = '';

export interface MaskedDocument {
  readonly data: RecordDocument;
  /**
   * Every requested field whose action is not `allow` (withheld or pseudonymized), whether or
   * not the record has it: presence of a protected field is itself not disclosed.
   */
  readonly masked: readonly string[];
}

/** An opened record as the masker sees it: whose pseudonym domain its values fall in. */
export interface MaskSource {
  readonly collection: string;
  /** The service that wrote the record; `null` when unknown (format 1 envelopes). */
  readonly writer: string | null;
  readonly document: RecordDocument;
}

/** Whether applying `actions` to these fields needs the region's pseudonymization key. */
export function needsPseudonymKey(
  document: RecordDocument,
  requested: readonly string[],
  actions: Readonly<Record<string, FieldAction>>,
): boolean {
  return requested.some(
    (field) => Object.hasOwn(document, field) && actions[field] === 'pseudonymize',
  );
}

/**
 * Applies a decision's field actions to a decrypted record: `allow` keeps a field, `redact`
 * drops it, `pseudonymize` replaces it with a pseudonym ({@link pseudonym}). Requested fields
 * the decision does not list are redacted.
 */
export function maskDocument(
  source: MaskSource,
  requested: readonly string[],
  actions: Readonly<Record<string, FieldAction>>,
  pseudonymKey: Buffer | undefined,
): MaskedDocument {
  const data: Record<string, string | number | boolean | null> = {};
  const masked: string[] = [];
  for (const field of new Set(requested)) {
    const action = actions[field] ?? 'redact';
    if (action !== 'allow') masked.push(field);
    if (!Object.hasOwn(source.document, field)) continue;
    const value = source.document[field] ?? null;
    if (action === 'allow') {
      data[field] = value;
    } else if (action === 'pseudonymize' && value !== null) {
      if (pseudonymKey === undefined) throw new Error('pseudonymizing needs the region key');
      data[field] = pseudonym(pseudonymKey, source.collection, field, source.writer, value);
    }
  }
  return { data, masked };
}

/**
 * `pn_` + base64url of the first 16 bytes of HMAC-SHA256(region pseudonym key, domain ‖
 * collection ‖ field ‖ writer ‖ JCS(value)), each part length-prefixed (4-byte big-endian).
 * Stable for one value written by one service into one field of one collection in one region,
 * so recommendations can link it across subjects; a value any other service wrote, or the same
 * value in another field, gets an unrelated pseudonym, so a caller cannot write a guess and
 * compare its pseudonym with someone else's (docs/envelope.md, "Pseudonyms").
 */
export function pseudonym(
  key: Buffer,
  collection: string,
  field: string,
  writer: string | null,
  value: string | number | boolean,
): string {
  const hmac = createHmac('sha256', key);
  for (const part of [
    PSEUDONYM_DOMAIN,
    Buffer.from(collection, 'utf8'),
    Buffer.from(field, 'utf8'),
    Buffer.from(writer ?? UNKNOWN_WRITER, 'utf8'),
    Buffer.from(jcs(value), 'utf8'),
  ]) {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(part.length);
    hmac.update(length).update(part);
  }
  return PSEUDONYM_PREFIX + hmac.digest().subarray(0, PSEUDONYM_BYTES).toString('base64url');
}
