import { Inject, Injectable } from '@nestjs/common';
import type { CollectionSpec, RecordDocument } from '../catalog/collection-catalog.js';
import { BLIND_INDEX_KEY, RegionKeysService } from '../keys/region-keys.service.js';
import { SubjectKeysService } from '../keys/subject-keys.service.js';
import { GATEWAY_CONFIG } from '../platform/config/config.module.js';
import type { GatewayConfig } from '../platform/config/gateway-config.js';
import type { RequestContext } from '../platform/http/request-context.js';
import { AccessDecider } from '../policy/access-decider.js';
import { PolicyDeniedError, type PolicyCase } from '../policy/decision.js';
import { FieldMasker } from '../policy/field-masker.js';
import { blindIndexHash, normalizeIndexedValue } from '../records/blind-index.js';
import { RecordSealer } from '../records/record-sealer.js';
import type { RecordView } from '../records/record-view.js';
import { QueryRepository, type Candidate } from './query.repository.js';

export type WhereValue = string | number | boolean;

export interface QuerySpec {
  readonly collection: CollectionSpec;
  readonly where: Readonly<Record<string, WhereValue>>;
  readonly fields: readonly string[];
  readonly limit: number;
}

export type RegionOutcome =
  | {
      readonly status: 'ok';
      readonly items: readonly RecordView[];
      /** More matches exist after the last item. */
      readonly hasMore: boolean;
      /** Blind-index candidates decrypted to find the items (false positives included). */
      readonly candidates: number;
      readonly decisionId: string;
    }
  | { readonly status: 'denied'; readonly reasons: readonly string[]; readonly decisionId: string };

const BATCH = 200;

/**
 * One region's part of a cross-border query: decided first (a deny touches no data), then
 * blind-index candidates fetched and decrypted, equality re-checked on the plaintext (truncated
 * hashes collide), and the region's field actions applied. The decision is logged in that region.
 */
@Injectable()
export class RegionQueryExecutor {
  private readonly repository = new QueryRepository();
  private readonly sealer: RecordSealer;

  constructor(
    private readonly access: AccessDecider,
    private readonly regionKeys: RegionKeysService,
    private readonly masker: FieldMasker,
    keys: SubjectKeysService,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
  ) {
    this.sealer = new RecordSealer(keys);
  }

  async run(
    ctx: RequestContext,
    region: string,
    spec: QuerySpec,
    after: readonly [string, string] | null,
  ): Promise<RegionOutcome> {
    const kase = await this.resolveCase(ctx, region);
    let authorized;
    try {
      authorized = await this.access.authorize(ctx, {
        action: 'query',
        homeRegion: region,
        collection: spec.collection.name,
        fields: spec.fields,
        where: Object.keys(spec.where),
        case: kase?.policyCase ?? null,
      });
    } catch (error) {
      if (error instanceof PolicyDeniedError) {
        return {
          status: 'denied',
          reasons: error.decision.reasons,
          decisionId: error.decision.decisionId,
        };
      }
      throw error;
    }
    const hashes = await this.access.prepare(authorized, () => this.indexHashes(region, spec));
    const found = await this.access.run(authorized, async (manager) => {
      const matches: { candidate: Candidate; document: RecordDocument }[] = [];
      let position = after;
      let candidates = 0;
      for (;;) {
        const batch = await this.repository.candidates(
          manager,
          spec.collection.name,
          hashes,
          position,
          kase?.subjects ?? null,
          BATCH,
        );
        for (const candidate of batch) {
          candidates++;
          position = [candidate.subjectId, candidate.recordId];
          const document = await this.open(region, spec, candidate);
          if (this.matches(spec, document)) matches.push({ candidate, document });
          if (matches.length > spec.limit) return { matches, candidates };
        }
        if (batch.length < BATCH) return { matches, candidates };
      }
    });
    const items: RecordView[] = [];
    for (const { candidate, document } of found.matches.slice(0, spec.limit)) {
      const { data, masked } = await this.masker.apply(
        region,
        document,
        spec.fields,
        authorized.decision.fields,
      );
      items.push({
        subjectId: candidate.subjectId,
        collection: spec.collection.name,
        recordId: candidate.recordId,
        region,
        version: candidate.version,
        data,
        masked,
      });
    }
    return {
      status: 'ok',
      items,
      hasMore: found.matches.length > spec.limit,
      candidates: found.candidates,
      decisionId: authorized.decision.decisionId,
    };
  }

  /** A moderation or legal query names its case; it can only cover that case's subjects. */
  private async resolveCase(
    ctx: RequestContext,
    region: string,
  ): Promise<{ policyCase: PolicyCase; subjects: string[] } | undefined> {
    const lookup = await this.access.lookupCase(ctx, region);
    if (lookup === null) return undefined;
    return {
      policyCase: lookup.asPolicyCase(lookup.found !== undefined),
      subjects: [...(lookup.found?.subjectIds ?? [])],
    };
  }

  private async indexHashes(
    region: string,
    spec: QuerySpec,
  ): Promise<{ field: string; hash: Buffer }[]> {
    const key = await this.regionKeys.key(region, BLIND_INDEX_KEY);
    try {
      return Object.entries(spec.where).map(([field, value]) => {
        const fieldSpec = spec.collection.fields.get(field);
        if (fieldSpec === undefined) throw new Error(`unknown field ${field}`);
        return {
          field,
          hash: blindIndexHash(
            key,
            spec.collection.name,
            fieldSpec,
            value,
            this.config.keys.blindIndexBytes,
          ),
        };
      });
    } finally {
      key.fill(0);
    }
  }

  private async open(
    region: string,
    spec: QuerySpec,
    candidate: Candidate,
  ): Promise<RecordDocument> {
    return this.sealer.open(
      {
        subjectId: candidate.subjectId,
        keyVersion: candidate.subjectKeyVersion,
        wrappedKey: candidate.wrappedKey,
        kmsKeyId: candidate.kmsKeyId,
      },
      {
        region,
        collection: spec.collection.name,
        subjectId: candidate.subjectId,
        recordId: candidate.recordId,
        keyVersion: candidate.keyVersion,
      },
      candidate.envelope,
    );
  }

  /** Equality on the normalized plaintext: what the blind index only approximates. */
  private matches(spec: QuerySpec, document: RecordDocument): boolean {
    return Object.entries(spec.where).every(([field, wanted]) => {
      const actual = document[field];
      const fieldSpec = spec.collection.fields.get(field);
      if (actual === undefined || actual === null || fieldSpec === undefined) return false;
      return normalizeIndexedValue(fieldSpec, actual) === normalizeIndexedValue(fieldSpec, wanted);
    });
  }
}
