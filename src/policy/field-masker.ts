import { createHmac } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { RecordDocument } from '../catalog/collection-catalog.js';
import { RegionKeysService } from '../keys/region-keys.service.js';
import type { FieldAction } from './decision.js';

export const PSEUDONYMIZATION_KEY = 'pseudonymization';
export const PSEUDONYM_PREFIX = 'pn_';

export interface MaskedDocument {
  readonly data: RecordDocument;
  /** Requested fields that were withheld (redacted) or replaced by a pseudonym. */
  readonly masked: readonly string[];
}

/**
 * Applies a decision's field actions to a decrypted record: `allow` keeps a field, `redact`
 * drops it, `pseudonymize` replaces it with `pn_` + a keyed HMAC under the region's
 * pseudonymization key (stable for a value within a region, not reversible). Requested fields
 * the decision does not list are redacted.
 */
@Injectable()
export class FieldMasker {
  constructor(private readonly regionKeys: RegionKeysService) {}

  async apply(
    region: string,
    document: RecordDocument,
    requested: readonly string[],
    actions: Readonly<Record<string, FieldAction>>,
  ): Promise<MaskedDocument> {
    const wanted = new Set(requested);
    const present = Object.keys(document).filter((field) => wanted.has(field));
    const needsKey = present.some((field) => actions[field] === 'pseudonymize');
    const key = needsKey ? await this.regionKeys.key(region, PSEUDONYMIZATION_KEY) : undefined;
    try {
      const data: Record<string, string | number | boolean | null> = {};
      const masked: string[] = [];
      for (const field of present) {
        const value = document[field] ?? null;
        const action = actions[field] ?? 'redact';
        if (action === 'allow') {
          data[field] = value;
        } else if (action === 'pseudonymize' && key !== undefined && value !== null) {
          data[field] = pseudonym(key, value);
          masked.push(field);
        } else {
          masked.push(field);
        }
      }
      return { data, masked };
    } finally {
      key?.fill(0);
    }
  }
}

function pseudonym(key: Buffer, value: string | number | boolean): string {
  const digest = createHmac('sha256', key).update(JSON.stringify(value), 'utf8').digest();
  return PSEUDONYM_PREFIX + digest.subarray(0, 16).toString('base64url');
}
