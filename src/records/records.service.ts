import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import {
  CollectionCatalog,
  type CollectionSpec,
  type RecordDocument,
} from '../catalog/collection-catalog.js';
import { BLIND_INDEX_KEY, RegionKeysService } from '../keys/region-keys.service.js';
import { SubjectKeysRepository, type StoredSubjectKey } from '../keys/subject-keys.repository.js';
import { SubjectKeysService } from '../keys/subject-keys.service.js';
import { GATEWAY_CONFIG } from '../platform/config/config.module.js';
import type { GatewayConfig } from '../platform/config/gateway-config.js';
import type { RequestContext } from '../platform/http/request-context.js';
import { AccessDecider, type AccessAction, type Authorized } from '../policy/access-decider.js';
import type { Decision } from '../policy/decision.js';
import { FieldMasker } from '../policy/field-masker.js';
import { RegionRouter } from '../regions/region-router.js';
import { requireLiveSubject } from '../subjects/live-subject.js';
import { SubjectId } from '../subjects/subject-id.js';
import { blindIndexEntries, type BlindIndexEntry } from './blind-index.js';
import { decodeListCursor, encodeListCursor } from './list-cursor.js';
import { checkPrecondition, type WritePrecondition } from './preconditions.js';
import { RecordNotFoundError, VersionConflictError } from './record.errors.js';
import { parseRecordId } from './record-id.js';
import { RecordSealer } from './record-sealer.js';
import type { RecordPage, RecordView, RecordWriteResult } from './record-view.js';
import { RecordsRepository, type RecordKeyRef, type StoredRecord } from './records.repository.js';

/** Where a request's record lives, resolved and validated before any store is touched. */
interface Target {
  readonly region: string;
  readonly subjectId: string;
  readonly collection: CollectionSpec;
}

const UNIQUE_VIOLATION = '23505';

/**
 * Records of a subject, stored only in the subject's home region, sealed under the subject's
 * key, versioned, with blind-index entries for indexed fields. Every access is decided by the
 * policy first; a deny touches no data.
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
    private readonly access: AccessDecider,
    private readonly masker: FieldMasker,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
  ) {
    this.sealer = new RecordSealer(keys);
  }

  async put(
    ctx: RequestContext,
    subjectId: string,
    collectionName: string,
    rawRecordId: string,
    body: unknown,
    precondition: WritePrecondition,
  ): Promise<RecordWriteResult> {
    const target = this.target(subjectId, collectionName);
    const ref = this.ref(target, parseRecordId(rawRecordId));
    const document = this.catalog.validate(collectionName, body);
    const authorized = await this.decideWrite(ctx, target, 'write', Object.keys(document));

    // Everything that needs KMS happens before the transaction: a KMS failure writes nothing.
    const { key, envelope, indexEntries } = await this.access.prepare(authorized, async () => {
      const subjectKey = await this.liveKey(target);
      return {
        key: subjectKey,
        envelope: await this.sealer.seal(
          subjectKey,
          this.location(target, ref, subjectKey.keyVersion),
          document,
        ),
        indexEntries: await this.indexEntries(target, document),
      };
    });
    return this.access.run(authorized, async (manager) => {
      await this.requireLive(manager, target.subjectId, 'share');
      const current = await this.records.lockVersion(manager, ref);
      checkPrecondition(precondition, current);
      const version = (current ?? 0) + 1;
      try {
        await this.records.write(manager, ref, { version, keyVersion: key.keyVersion, envelope });
      } catch (error) {
        // Two creators raced for a new record id: the loser changes nothing.
        if (driverCode(error) === UNIQUE_VIOLATION) throw new VersionConflictError(1);
        throw error;
      }
      await this.records.replaceIndex(manager, ref, indexEntries);
      return { ...ref, region: target.region, version, created: current === null };
    });
  }

  async get(
    ctx: RequestContext,
    subjectId: string,
    collectionName: string,
    rawRecordId: string,
    requestedFields?: readonly string[],
  ): Promise<RecordView> {
    const target = this.target(subjectId, collectionName);
    const ref = this.ref(target, parseRecordId(rawRecordId));
    const fields = requestedFields ?? [...target.collection.fields.keys()];
    const authorized = await this.decideRead(ctx, target, 'read', fields);
    const { key, record } = await this.access.run(authorized, async (manager) => ({
      key: await this.requireLive(manager, target.subjectId),
      record: await this.records.find(manager, ref),
    }));
    if (record === undefined || key === undefined) throw new RecordNotFoundError();
    return this.view(target, key, record, fields, authorized.decision);
  }

  async list(
    ctx: RequestContext,
    subjectId: string,
    collectionName: string,
    limit: number,
    cursor: string | undefined,
    requestedFields?: readonly string[],
  ): Promise<RecordPage> {
    const target = this.target(subjectId, collectionName);
    const after = decodeListCursor(cursor);
    const fields = requestedFields ?? [...target.collection.fields.keys()];
    const authorized = await this.decideRead(ctx, target, 'list', fields);
    const { key, rows } = await this.access.run(authorized, async (manager) => ({
      key: await this.requireLive(manager, target.subjectId),
      rows: await this.records.page(
        manager,
        target.subjectId,
        target.collection.name,
        after,
        limit + 1,
      ),
    }));
    const page = rows.slice(0, limit);
    const items: RecordView[] = [];
    for (const record of page) {
      if (key === undefined) throw new RecordNotFoundError();
      items.push(await this.view(target, key, record, fields, authorized.decision));
    }
    const last = page.at(-1);
    return {
      items,
      nextCursor:
        rows.length > limit && last !== undefined ? encodeListCursor(last.recordId) : null,
    };
  }

  async delete(
    ctx: RequestContext,
    subjectId: string,
    collectionName: string,
    rawRecordId: string,
    precondition: WritePrecondition,
  ): Promise<void> {
    const target = this.target(subjectId, collectionName);
    const ref = this.ref(target, parseRecordId(rawRecordId));
    const authorized = await this.decideWrite(ctx, target, 'delete', []);
    await this.access.run(authorized, async (manager) => {
      await this.requireLive(manager, target.subjectId, 'share');
      const current = await this.records.lockVersion(manager, ref);
      if (current === null) throw new RecordNotFoundError();
      checkPrecondition(precondition, current);
      await this.records.delete(manager, ref);
    });
  }

  /** A read is decided before any record is touched; a deny answers 403 and reads nothing. */
  private async decideRead(
    ctx: RequestContext,
    target: Target,
    action: AccessAction,
    fields: readonly string[],
  ) {
    this.access.requirePurpose(ctx);
    return this.decide(ctx, target, action, fields, ctx.purpose);
  }

  /** Writes default to the purpose service-delivery when X-Purpose is absent. */
  private async decideWrite(
    ctx: RequestContext,
    target: Target,
    action: AccessAction,
    fields: readonly string[],
  ) {
    return this.decide(ctx, target, action, fields, ctx.purpose ?? 'service-delivery');
  }

  private async decide(
    ctx: RequestContext,
    target: Target,
    action: AccessAction,
    fields: readonly string[],
    purpose: string | null,
  ): Promise<Authorized> {
    return this.access.authorize(ctx, {
      action,
      homeRegion: target.region,
      subjectId: target.subjectId,
      collection: target.collection.name,
      fields,
      purpose,
      case: await this.access.resolveCase(ctx, target.subjectId, target.region),
    });
  }

  private async view(
    target: Target,
    key: StoredSubjectKey,
    record: StoredRecord,
    fields: readonly string[],
    decision: Decision,
  ): Promise<RecordView> {
    const ref = this.ref(target, record.recordId);
    const opened = await this.sealer.open(
      key,
      this.location(target, ref, record.keyVersion),
      record.envelope,
    );
    const { data, masked } = await this.masker.apply(
      target.region,
      opened,
      fields,
      decision.fields,
    );
    return { ...ref, region: target.region, version: record.version, data, masked };
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

  private ref(target: Target, recordId: string): RecordKeyRef {
    return { subjectId: target.subjectId, collection: target.collection.name, recordId };
  }

  private location(target: Target, ref: RecordKeyRef, keyVersion: number) {
    return { ...ref, region: target.region, keyVersion };
  }

  private async requireLive(manager: EntityManager, subjectId: string, lock?: 'share') {
    return requireLiveSubject(this.keyStore, manager, subjectId, lock);
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

  private async indexEntries(target: Target, document: RecordDocument): Promise<BlindIndexEntry[]> {
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
