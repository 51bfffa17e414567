import { createHmac } from 'node:crypto';
import type { RecordDocument } from '../catalog/collection-catalog.js';
import type { FieldAction } from '../policy/decision.js';

export const PSEUDONYM_PREFIX = 'pn_';

export interface MaskedDocument {
  readonly data: RecordDocument;
  /** Requested fields that were withheld (redacted) or replaced by a pseudonym. */
  readonly masked: readonly string[];
}

/** Whether applying `actions` to these fields needs the region's pseudonymization key. */
export function needsPseudonymKey(
  document: RecordDocument,
  requested: readonly string[],
  actions: Readonly<Record<string, FieldAction>>,
): boolean {
  return requested.some((field) => field in document && actions[field] === 'pseudonymize');
}

/**
 * Applies a decision's field actions to a decrypted record: `allow` keeps a field, `redact`
 * drops it, `pseudonymize` replaces it with `pn_` + a keyed HMAC (stable for a value within a
 * region, not reversible). Requested fields the decision does not list are redacted.
 */
export function maskDocument(
  document: RecordDocument,
  requested: readonly string[],
  actions: Readonly<Record<string, FieldAction>>,
  pseudonymKey: Buffer | undefined,
): MaskedDocument {
  const wanted = new Set(requested);
  const data: Record<string, string | number | boolean | null> = {};
  const masked: string[] = [];
  for (const field of Object.keys(document)) {
    if (!wanted.has(field)) continue;
    const value = document[field] ?? null;
    const action = actions[field] ?? 'redact';
    if (action === 'allow') {
      data[field] = value;
    } else if (action === 'pseudonymize' && pseudonymKey !== undefined && value !== null) {
      data[field] = pseudonym(pseudonymKey, value);
      masked.push(field);
    } else {
      masked.push(field);
    }
  }
  return { data, masked };
}

function pseudonym(key: Buffer, value: string | number | boolean): string {
  const digest = createHmac('sha256', key).update(JSON.stringify(value), 'utf8').digest();
  return PSEUDONYM_PREFIX + digest.subarray(0, 16).toString('base64url');
}
