import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { CollectionCatalog, type CollectionSpec } from '../catalog/collection-catalog.js';
import { BLIND_INDEX_KEY, RegionKeysService } from '../keys/region-keys.service.js';
import { SubjectKeysRepository, type StoredSubjectKey } from '../keys/subject-keys.repository.js';
import { SubjectKeysService } from '../keys/subject-keys.service.js';
import { GATEWAY_CONFIG } from '../platform/config/config.module.js';
import type { GatewayConfig } from '../platform/config/gateway-config.js';
import type { RequestContext } from '../platform/http/request-context.js';
import { RegionRouter } from '../regions/region-router.js';
import { SubjectErasedError, SubjectNotFoundError } from '../subjects/subject.errors.js';
import { SubjectId } from '../subjects/subject-id.js';
import { blindIndexEntries } from './blind-index.js';
import { decodeListCursor, encodeListCursor } from './list-cursor.js';
import { checkPrecondition, type WritePrecondition } from './preconditions.js';
import { RecordNotFoundError, VersionConflictError } from './record.errors.js';
import { parseRecordId } from './record-id.js';
import { RecordSealer } from './record-sealer.js';
import type { RecordPage, RecordView, RecordWriteResult } from './record-view.js';
import { RecordsRepository, type RecordKeyRef } from './records.repository.js';

/** Where a request's record lives, resolved and validated before any store is touched. */
interface Target {
  readonly region: string;
  readonly subjectId: string;
  readonly collection: CollectionSpec;
}

const UNIQUE_VIOLATION = '23505';

/**
 * Records of a subject, stored only in the subject's home region, sealed under the subject's
 * key, versioned, with blind-index entries for indexed fields.
 */
@Injectable()
export class RecordsService {
  private readonly sealer: RecordSealer;

  constructor(
    private readonly catalog: CollectionCatalog,
    private readonly router: RegionRouter,
    private readonly keys: SubjectKeysService,
    private readonly keyStore: SubjectKeysRepository,
    private readonly regionKeys: RegionKeysService,
    private readonly records: RecordsRepository,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
  ) {
    this.sealer = new RecordSealer(keys);
  }

  async put(
    _ctx: RequestContext,
    subjectId: string,
    collectionName: string,
    rawRecordId: string,
    body: unknown,
    precondition: WritePrecondition,
  ): Promise<RecordWriteResult> {
    const target = this.target(subjectId, collectionName);
    const recordId = parseRecordId(rawRecordId);
    const document = this.catalog.validate(collectionName, body);
    const ref: RecordKeyRef = {
      subjectId: target.subjectId,
      collection: target.collection.name,
      recordId,
    };

    // Everything that needs KMS happens before the transaction: a KMS failure writes nothing.
    const key = await this.liveKey(target);
    const envelope = await this.sealer.seal(
      key,
      { ...ref, region: target.region, keyVersion: key.keyVersion },
      document,
    );
    const indexEntries = await this.indexEntries(target, document);

    try {
      return await this.router.transaction(target.region, async (manager) => {
        await this.requireLive(manager, target.subjectId, 'share');
        const current = await this.records.lockVersion(manager, ref);
        checkPrecondition(precondition, current);
        const version = (current ?? 0) + 1;
        await this.records.write(manager, ref, { version, keyVersion: key.keyVersion, envelope });
        await this.records.replaceIndex(manager, ref, indexEntries);
        return { ...ref, region: target.region, version, created: current === null };
      });
    } catch (error) {
      // Two creators raced for a new record id: the loser changes nothing.
      if (driverCode(error) === UNIQUE_VIOLATION) throw new VersionConflictError(1);
      throw error;
    }
  }

  async get(
    _ctx: RequestContext,
    subjectId: string,
    collectionName: string,
    rawRecordId: string,
  ): Promise<RecordView> {
    const target = this.target(subjectId, collectionName);
    const recordId = parseRecordId(rawRecordId);
    const ref: RecordKeyRef = {
      subjectId: target.subjectId,
      collection: target.collection.name,
      recordId,
    };
    const { key, record } = await this.router.read(target.region, async (manager) => {
      const liveKey = await this.requireLive(manager, target.subjectId);
      return { key: liveKey, record: await this.records.find(manager, ref) };
    });
    if (record === undefined || key === undefined) throw new RecordNotFoundError();
    const data = await this.sealer.open(
      key,
      { ...ref, region: target.region, keyVersion: record.keyVersion },
      record.envelope,
    );
    return { ...ref, region: target.region, version: record.version, data, masked: [] };
  }

  async list(
    _ctx: RequestContext,
    subjectId: string,
    collectionName: string,
    limit: number,
    cursor: string | undefined,
  ): Promise<RecordPage> {
    const target = this.target(subjectId, collectionName);
    const after = decodeListCursor(cursor);
    const { key, rows } = await this.router.read(target.region, async (manager) => {
      const liveKey = await this.requireLive(manager, target.subjectId);
      return {
        key: liveKey,
        rows: await this.records.page(
          manager,
          target.subjectId,
          target.collection.name,
          after,
          limit + 1,
        ),
      };
    });
    const page = rows.slice(0, limit);
    const items: RecordView[] = [];
    for (const record of page) {
      if (key === undefined) throw new RecordNotFoundError();
      const ref = {
        subjectId: target.subjectId,
        collection: target.collection.name,
        recordId: record.recordId,
      };
      const data = await this.sealer.open(
        key,
        { ...ref, region: target.region, keyVersion: record.keyVersion },
        record.envelope,
      );
      items.push({ ...ref, region: target.region, version: record.version, data, masked: [] });
    }
    const last = page.at(-1);
    return {
      items,
      nextCursor:
        rows.length > limit && last !== undefined ? encodeListCursor(last.recordId) : null,
    };
  }

  async delete(
    _ctx: RequestContext,
    subjectId: string,
    collectionName: string,
    rawRecordId: string,
    precondition: WritePrecondition,
  ): Promise<void> {
    const target = this.target(subjectId, collectionName);
    const ref: RecordKeyRef = {
      subjectId: target.subjectId,
      collection: target.collection.name,
      recordId: parseRecordId(rawRecordId),
    };
    await this.router.transaction(target.region, async (manager) => {
      await this.requireLive(manager, target.subjectId, 'share');
      const current = await this.records.lockVersion(manager, ref);
      if (current === null) throw new RecordNotFoundError();
      checkPrecondition(precondition, current);
      await this.records.delete(manager, ref);
    });
  }

  private target(rawSubjectId: string, collectionName: string): Target {
    const subject = SubjectId.parse(rawSubjectId);
    const route = this.router.route(subject.homeRegion);
    return {
      region: route.region.id,
      subjectId: subject.value,
      collection: this.catalog.collection(collectionName),
    };
  }

  /** 404 / 410 unless the subject is live; its key (if it has one yet). */
  private async requireLive(
    manager: EntityManager,
    subjectId: string,
    lock?: 'share',
  ): Promise<StoredSubjectKey | undefined> {
    const state = await this.keyStore.state(manager, subjectId, lock);
    switch (state.state) {
      case 'missing':
        throw new SubjectNotFoundError();
      case 'erased':
        throw new SubjectErasedError();
      case 'live':
        return state.key;
    }
  }

  /** The subject's key; a subject created before keys existed gets one now. */
  private async liveKey(target: Target): Promise<StoredSubjectKey> {
    const existing = await this.router.read(target.region, (manager) =>
      this.requireLive(manager, target.subjectId),
    );
    if (existing !== undefined) return existing;
    const generated = await this.keys.generate(target.region, target.subjectId);
    return this.router.transaction(target.region, (manager) =>
      this.keyStore.insertOrGet(manager, generated),
    );
  }

  private async indexEntries(target: Target, document: Parameters<typeof blindIndexEntries>[2]) {
    if (target.collection.indexedFields.length === 0) return [];
    const indexKey = await this.regionKeys.key(target.region, BLIND_INDEX_KEY);
    try {
      return blindIndexEntries(
        indexKey,
        target.collection,
        document,
        this.config.keys.blindIndexBytes,
      );
    } finally {
      indexKey.fill(0);
    }
  }
}

function driverCode(error: unknown): string | undefined {
  const driverError = (error as { driverError?: { code?: unknown } } | null)?.driverError;
  return typeof driverError?.code === 'string' ? driverError.code : undefined;
}
