import { Inject, Injectable } from '@nestjs/common';
import type { CollectionSpec, RecordDocument } from '../catalog/collection-catalog.js';
import {
  IntegrityViolationError,
  openEnvelope,
  type EnvelopeBinding,
  type EnvelopeVersion,
} from '../envelope/envelope-format.js';
import { decodePayload } from '../envelope/record-payload.js';
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
import { RecordSealer } from './record-sealer.js';

export const PSEUDONYMIZATION_KEY = 'pseudonymization';

export type WhereValue = string | number | boolean;

/** A record as opened by the vault: its document, who wrote it, and from where. */
export interface OpenedRecord {
  readonly region: string;
  readonly collection: string;
  /** The envelope format it was stored in (1: written before v2, upgraded on its next write). */
  readonly formatVersion: EnvelopeVersion;
  readonly document: RecordDocument;
  /** The service that wrote it; `null` for format 1 envelopes, which predate writers. */
  readonly writer: string | null;
}

/**
 * The record vault: the one place records are sealed, opened, masked and indexed. Records,
 * queries and erasure all go through it, so there is one way to do each. Every key copy it
 * takes (record keys, the region's index and pseudonymization keys) is zeroed after use
 * (a {@link RecordSealer}'s when it is disposed).
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

  /**
   * A sealer for one subject's records in `region`: takes the subject's record key now (the
   * KMS work, before any transaction) so sealing later, inside the write transaction once the
   * record version is known, is CPU only. Dispose of it when done: it zeroes its key copy.
   */
  async sealer(region: string, key: StoredSubjectKey): Promise<RecordSealer> {
    return new RecordSealer(region, key, await this.subjectKeys.recordKey(region, key));
  }

  /**
   * Opens an envelope read from `binding` (its row and the row's version); one moved from any
   * other row, or an older envelope of the same record put back, fails with
   * `integrity_violation`.
   */
  async open(
    key: StoredSubjectKey,
    binding: EnvelopeBinding,
    envelope: Buffer,
  ): Promise<OpenedRecord> {
    if (key.keyVersion !== binding.keyVersion || key.subjectId !== binding.subjectId) {
      throw new IntegrityViolationError();
    }
    const recordKey = await this.subjectKeys.recordKey(binding.region, key);
    try {
      const { version, plaintext } = openEnvelope(recordKey, envelope, binding);
      try {
        const { document, writer } = decodePayload(version, plaintext);
        return {
          region: binding.region,
          collection: binding.collection,
          formatVersion: version,
          document,
          writer,
        };
      } finally {
        plaintext.fill(0);
      }
    } finally {
      recordKey.fill(0);
    }
  }

  /**
   * Applies a decision's field actions to an opened record (what may leave the gateway).
   * Pseudonyms are in the domain of the record's own region, collection and writer.
   */
  async mask(
    record: OpenedRecord,
    requested: readonly string[],
    actions: Readonly<Record<string, FieldAction>>,
  ): Promise<MaskedDocument> {
    const key = needsPseudonymKey(record.document, requested, actions)
      ? await this.regionKeys.key(record.region, PSEUDONYMIZATION_KEY)
      : undefined;
    try {
      return maskDocument(record, requested, actions, key);
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
