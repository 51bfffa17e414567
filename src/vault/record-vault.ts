import { Inject, Injectable } from '@nestjs/common';
import type { CollectionSpec, RecordDocument } from '../catalog/collection-catalog.js';
import {
  IntegrityViolationError,
  openEnvelope,
  sealEnvelope,
  type RecordLocation,
} from '../envelope/envelope-format.js';
import { BLIND_INDEX_KEY, RegionKeysService } from '../keys/region-keys.service.js';
import type { StoredSubjectKey } from '../keys/subject-keys.repository.js';
import { SubjectKeysService } from '../keys/subject-keys.service.js';
import { GATEWAY_CONFIG } from '../platform/config/config.module.js';
import type { GatewayConfig } from '../platform/config/gateway-config.js';
import type { FieldAction } from '../policy/decision.js';
import {
  blindIndexEntries,
  blindIndexHash,
  normalizeIndexedValue,
  type BlindIndexEntry,
} from './blind-index.js';
import { maskDocument, needsPseudonymKey, type MaskedDocument } from './field-masker.js';

export const PSEUDONYMIZATION_KEY = 'pseudonymization';

export type WhereValue = string | number | boolean;

/**
 * The record vault: the one place records are sealed, opened, masked and indexed. Records,
 * queries and erasure all go through it, so there is one way to do each. Every key copy it
 * takes (record keys, the region's index and pseudonymization keys) is zeroed after use.
 */
@Injectable()
export class RecordVault {
  private readonly indexBytes: number;

  constructor(
    private readonly subjectKeys: SubjectKeysService,
    private readonly regionKeys: RegionKeysService,
    @Inject(GATEWAY_CONFIG) config: GatewayConfig,
  ) {
    this.indexBytes = config.keys.blindIndexBytes;
  }

  /** Seals a validated document for its row (`location`) under the subject's key. */
  async seal(
    key: StoredSubjectKey,
    location: RecordLocation,
    document: RecordDocument,
  ): Promise<Buffer> {
    const recordKey = await this.subjectKeys.recordKey(location.region, key);
    const plaintext = Buffer.from(JSON.stringify(document), 'utf8');
    try {
      return sealEnvelope(recordKey, plaintext, location);
    } finally {
      recordKey.fill(0);
      plaintext.fill(0);
    }
  }

  /** Opens an envelope read from `location`; one moved from any other row fails. */
  async open(
    key: StoredSubjectKey,
    location: RecordLocation,
    envelope: Buffer,
  ): Promise<RecordDocument> {
    if (key.keyVersion !== location.keyVersion) throw new IntegrityViolationError();
    const recordKey = await this.subjectKeys.recordKey(location.region, key);
    try {
      const plaintext = openEnvelope(recordKey, envelope, location);
      try {
        return JSON.parse(plaintext.toString('utf8')) as RecordDocument;
      } finally {
        plaintext.fill(0);
      }
    } finally {
      recordKey.fill(0);
    }
  }

  /** Applies a decision's field actions to an opened record (what may leave the gateway). */
  async mask(
    region: string,
    document: RecordDocument,
    requested: readonly string[],
    actions: Readonly<Record<string, FieldAction>>,
  ): Promise<MaskedDocument> {
    const key = needsPseudonymKey(document, requested, actions)
      ? await this.regionKeys.key(region, PSEUDONYMIZATION_KEY)
      : undefined;
    try {
      return maskDocument(document, requested, actions, key);
    } finally {
      key?.fill(0);
    }
  }

  /** The blind-index entries of a document, under the region's index key. */
  async indexEntries(
    region: string,
    collection: CollectionSpec,
    document: RecordDocument,
  ): Promise<BlindIndexEntry[]> {
    if (collection.indexedFields.length === 0) return [];
    const key = await this.regionKeys.key(region, BLIND_INDEX_KEY);
    try {
      return blindIndexEntries(key, collection, document, this.indexBytes);
    } finally {
      key.fill(0);
    }
  }

  /** The blind-index hashes a query looks up, one per `where` field. */
  async indexHashes(
    region: string,
    collection: CollectionSpec,
    where: Readonly<Record<string, WhereValue>>,
  ): Promise<BlindIndexEntry[]> {
    const key = await this.regionKeys.key(region, BLIND_INDEX_KEY);
    try {
      return Object.entries(where).map(([field, value]) => {
        const spec = collection.fields.get(field);
        if (spec === undefined) throw new Error(`unknown field ${field}`);
        return { field, hash: blindIndexHash(key, collection.name, spec, value, this.indexBytes) };
      });
    } finally {
      key.fill(0);
    }
  }

  /** Equality on normalized plaintext: what a (truncated, colliding) blind index approximates. */
  matches(
    collection: CollectionSpec,
    where: Readonly<Record<string, WhereValue>>,
    document: RecordDocument,
  ): boolean {
    return Object.entries(where).every(([field, wanted]) => {
      const actual = document[field];
      const spec = collection.fields.get(field);
      if (actual === undefined || actual === null || spec === undefined) return false;
      return normalizeIndexedValue(spec, actual) === normalizeIndexedValue(spec, wanted);
    });
  }

  /** Drops (and zeroes) a subject's cached key, once its wrapped key is destroyed. */
  forget(region: string, key: StoredSubjectKey): void {
    this.subjectKeys.forget(region, key);
  }
}
