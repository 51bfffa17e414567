import { Injectable } from '@nestjs/common';
import { AccessGate } from '../access/access-gate.js';
import type { CollectionSpec } from '../catalog/collection-catalog.js';
import type { PolicySnapshot } from '../policy/policy-snapshot.js';
import type { RequestContext } from '../platform/http/request-context.js';
import type { RecordView } from '../records/record-view.js';
import { RecordVault, type OpenedRecord, type WhereValue } from '../vault/record-vault.js';
import { stopIfAborted } from './cancellable-query.js';
import { QueryRepository, type Candidate } from './query.repository.js';

export interface QuerySpec {
  /** The bundle the query was validated against; it decides each region's part too. */
  readonly policy: Pick<PolicySnapshot, 'decide'>;
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

interface Found {
  readonly matches: { candidate: Candidate; record: OpenedRecord }[];
  readonly candidates: number;
}

/**
 * One region's part of a cross-border query, as one access through the gate: decided first (a
 * deny touches no data and is a per-region status), then blind-index candidates fetched and
 * opened, equality re-checked on the plaintext (truncated hashes collide), and the region's
 * field actions applied. The decision is logged in that region.
 */
@Injectable()
export class RegionQueryExecutor {
  constructor(
    private readonly gate: AccessGate,
    private readonly vault: RecordVault,
    private readonly repository: QueryRepository,
  ) {}

  async run(
    ctx: RequestContext,
    region: string,
    spec: QuerySpec,
    after: readonly [string, string] | null,
    signal?: AbortSignal,
  ): Promise<RegionOutcome> {
    const outcome = await this.gate.attempt(ctx, {
      action: 'query',
      region,
      collection: spec.collection.name,
      fields: spec.fields,
      where: Object.keys(spec.where),
      policy: spec.policy,
      purpose: 'required',
      case: { from: 'header' },
      mode: 'read',
      prepare: () => this.vault.indexHashes(region, spec.collection, spec.where),
      disclosed: (found: Found) => [
        ...new Set(found.matches.slice(0, spec.limit).map((match) => match.candidate.subjectId)),
      ],
      work: async (manager, scope, hashes): Promise<Found> => {
        // A moderation or legal query names its case; it only covers that case's subjects.
        const onlySubjects =
          scope.case === undefined ? null : [...(scope.case.stored?.subjectIds ?? [])];
        const matches: { candidate: Candidate; record: OpenedRecord }[] = [];
        let position = after;
        let candidates = 0;
        for (;;) {
          // Given up (the region's time is up): nothing more is read or opened.
          stopIfAborted(signal);
          const batch = await this.repository.candidates(
            manager,
            spec.collection.name,
            hashes,
            position,
            onlySubjects,
            BATCH,
            signal,
          );
          for (const candidate of batch) {
            stopIfAborted(signal);
            candidates++;
            position = [candidate.subjectId, candidate.recordId];
            const record = await this.open(region, spec, candidate);
            if (this.vault.matches(spec.collection, spec.where, record.document))
              matches.push({ candidate, record });
            if (matches.length > spec.limit) return { matches, candidates };
          }
          if (batch.length < BATCH) return { matches, candidates };
        }
      },
    });
    if (!outcome.allowed) {
      return {
        status: 'denied',
        reasons: outcome.decision.reasons,
        decisionId: outcome.decision.decisionId,
      };
    }
    const found = outcome.value;
    const items: RecordView[] = [];
    for (const { candidate, record } of found.matches.slice(0, spec.limit)) {
      const { data, masked } = await this.vault.mask(record, spec.fields, outcome.decision.fields);
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
      decisionId: outcome.decision.decisionId,
    };
  }

  private async open(region: string, spec: QuerySpec, candidate: Candidate): Promise<OpenedRecord> {
    return this.vault.open(
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
        recordVersion: candidate.version,
      },
      candidate.envelope,
    );
  }
}
