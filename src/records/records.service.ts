import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AccessGate } from '../access/access-gate.js';
import type { AccessAction, AccessDescription } from '../access/access.js';
import type { CollectionSpec } from '../catalog/collection-catalog.js';
import type { RecordLocation } from '../envelope/envelope-format.js';
import { SubjectKeysRepository, type StoredSubjectKey } from '../keys/subject-keys.repository.js';
import { SubjectKeysService } from '../keys/subject-keys.service.js';
import type { RequestContext } from '../platform/http/request-context.js';
import type { FieldAction } from '../policy/decision.js';
import type { PolicySnapshot } from '../policy/policy-snapshot.js';
import { PolicyService } from '../policy/policy.service.js';
import { RegionRouter } from '../regions/region-router.js';
import { liveKeyOf, requireLiveSubject } from '../subjects/live-subject.js';
import { SubjectErasedError, SubjectNotFoundError } from '../subjects/subject.errors.js';
import { SubjectId } from '../subjects/subject-id.js';
import type { RecordSealer } from '../vault/record-sealer.js';
import { RecordVault } from '../vault/record-vault.js';
import { decodeListCursor, encodeListCursor } from './list-cursor.js';
import { checkPrecondition, type WritePrecondition } from './preconditions.js';
import { RecordNotFoundError, VersionConflictError } from './record.errors.js';
import { parseRecordId } from './record-id.js';
import type { RecordPage, RecordView, RecordWriteResult } from './record-view.js';
import { RecordsRepository, type RecordKeyRef, type StoredRecord } from './records.repository.js';

/** Where a request's record lives, resolved and validated before any store is touched. */
interface Target {
  /** The bundle in force when the request arrived: it validates and decides the request. */
  readonly policy: PolicySnapshot;
  readonly region: string;
  readonly subjectId: string;
  readonly collection: CollectionSpec;
}

const UNIQUE_VIOLATION = '23505';

/**
 * Records of a subject, stored only in the subject's home region, sealed under the subject's
 * key, versioned, with blind-index entries for indexed fields. Each operation is one access
 * through the gate: decided first (a deny touches no data), logged with the access.
 */
@Injectable()
export class RecordsService {
  constructor(
    private readonly policy: PolicyService,
    private readonly router: RegionRouter,
    private readonly keys: SubjectKeysService,
    private readonly keyStore: SubjectKeysRepository,
    private readonly records: RecordsRepository,
    private readonly vault: RecordVault,
    private readonly gate: AccessGate,
  ) {}

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
    const document = target.policy.catalog.validate(collectionName, body);
    // Held here too so the record key is zeroed even when the work never runs.
    const held: { sealer?: RecordSealer } = {};
    try {
      return await this.gate.run(ctx, {
        ...this.describe(target, 'write', Object.keys(document)),
        purpose: 'write',
        // Everything that needs KMS happens before the transaction: a KMS failure writes nothing.
        prepare: async () => {
          const key = await this.liveKey(target);
          held.sealer = await this.vault.sealer(target.region, key);
          return {
            key,
            sealer: held.sealer,
            indexEntries: await this.vault.indexEntries(target.region, target.collection, document),
          };
        },
        work: async (manager, _scope, { key, sealer, indexEntries }) => {
          const current = await this.lockLive(manager, ref);
          checkPrecondition(precondition, current);
          const version = (current ?? 0) + 1;
          // Sealed only now: the envelope binds the version this write creates (no rollback).
          const envelope = sealer.seal(
            { ...this.location(target, ref, key.keyVersion), recordVersion: version },
            document,
            ctx.caller.service,
          );
          try {
            await this.records.write(manager, ref, {
              version,
              keyVersion: key.keyVersion,
              envelope,
            });
          } catch (error) {
            // Two creators raced for a new record id: the loser changes nothing.
            if (driverCode(error) === UNIQUE_VIOLATION) throw new VersionConflictError(1);
            throw error;
          }
          await this.records.replaceIndex(manager, ref, indexEntries);
          return { ...ref, region: target.region, version, created: current === null };
        },
      });
    } finally {
      held.sealer?.dispose();
    }
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
    const { key, record, actions } = await this.gate.run(ctx, {
      ...this.describe(target, 'read', fields),
      purpose: 'required',
      mode: 'read',
      work: async (manager, { decision }) => {
        const found = await this.records.findWithSubject(manager, ref);
        return { key: liveKeyOf(found.subject), record: found.record, actions: decision.fields };
      },
    });
    if (record === undefined || key === undefined) throw new RecordNotFoundError();
    return this.view(target, key, record, fields, actions);
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
    const { key, rows, actions } = await this.gate.run(ctx, {
      ...this.describe(target, 'list', fields),
      purpose: 'required',
      mode: 'read',
      work: async (manager, { decision }) => ({
        key: await requireLiveSubject(this.keyStore, manager, target.subjectId),
        rows: await this.records.page(
          manager,
          target.subjectId,
          target.collection.name,
          after,
          limit + 1,
        ),
        actions: decision.fields,
      }),
    });
    const page = rows.slice(0, limit);
    const items: RecordView[] = [];
    for (const record of page) {
      if (key === undefined) throw new RecordNotFoundError();
      items.push(await this.view(target, key, record, fields, actions));
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
    await this.gate.run(ctx, {
      ...this.describe(target, 'delete', []),
      purpose: 'write',
      work: async (manager) => {
        const current = await this.lockLive(manager, ref);
        if (current === null) throw new RecordNotFoundError();
        checkPrecondition(precondition, current);
        await this.records.delete(manager, ref);
      },
    });
  }

  /** Locks the subject (shared) and the record (for update); its version, or null if absent. */
  private async lockLive(manager: EntityManager, ref: RecordKeyRef): Promise<number | null> {
    const locked = await this.records.lockForWrite(manager, ref);
    if (locked.subject === 'missing') throw new SubjectNotFoundError();
    if (locked.subject === 'erased') throw new SubjectErasedError();
    return locked.version;
  }

  /** What the policy decides for an access to one record (or collection) of a subject. */
  private describe(
    target: Target,
    action: AccessAction,
    fields: readonly string[],
  ): Omit<AccessDescription, 'purpose'> {
    return {
      action,
      region: target.region,
      subjects: [target.subjectId],
      collection: target.collection.name,
      fields,
      case: { from: 'header' },
      policy: target.policy,
    };
  }

  private async view(
    target: Target,
    key: StoredSubjectKey,
    record: StoredRecord,
    fields: readonly string[],
    actions: Readonly<Record<string, FieldAction>>,
  ): Promise<RecordView> {
    const ref = this.ref(target, record.recordId);
    const opened = await this.vault.open(
      key,
      { ...this.location(target, ref, record.keyVersion), recordVersion: record.version },
      record.envelope,
    );
    const { data, masked } = await this.vault.mask(opened, fields, actions);
    return { ...ref, region: target.region, version: record.version, data, masked };
  }

  private target(rawSubjectId: string, collectionName: string): Target {
    const subject = SubjectId.parse(rawSubjectId);
    const route = this.router.route(subject.homeRegion);
    const policy = this.policy.snapshot();
    return {
      policy,
      region: route.region.id,
      subjectId: subject.value,
      collection: policy.catalog.collection(collectionName),
    };
  }

  private ref(target: Target, recordId: string): RecordKeyRef {
    return { subjectId: target.subjectId, collection: target.collection.name, recordId };
  }

  private location(target: Target, ref: RecordKeyRef, keyVersion: number): RecordLocation {
    return { ...ref, region: target.region, keyVersion };
  }

  /** The subject's key; a subject created before keys existed gets one now. */
  private async liveKey(target: Target): Promise<StoredSubjectKey> {
    const existing = await this.router.read(target.region, (manager: EntityManager) =>
      requireLiveSubject(this.keyStore, manager, target.subjectId),
    );
    if (existing !== undefined) return existing;
    const generated = await this.keys.generate(target.region, target.subjectId);
    return this.router.transaction(target.region, (manager) =>
      this.keyStore.insertOrGet(manager, generated),
    );
  }
}

function driverCode(error: unknown): string | undefined {
  const driverError = (error as { driverError?: { code?: unknown } } | null)?.driverError;
  return typeof driverError?.code === 'string' ? driverError.code : undefined;
}
