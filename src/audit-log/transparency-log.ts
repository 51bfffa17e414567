import { Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { GatewayConfig } from '../platform/config/gateway-config.js';
import type { GatewayMetrics } from '../platform/metrics/gateway-metrics.js';
import type { RegionRouter } from '../regions/region-router.js';
import { CosignatureRejectedError } from './audit-log.errors.js';
import { originOf, type CheckpointSigner } from './checkpoint-signer.js';
import type { CheckpointSink } from './checkpoint-sink.js';
import { RegionIntegrator, type RoundResult } from './log-integrator.js';
import type { LogStore, StoredCheckpoint } from './log-store.js';
import { verifyLog, type LogVerification, type OutsideCheckpoint } from './log-verifier.js';
import { consistencyRanges, inclusionRanges } from './merkle.js';
import {
  SIGNATURE_TYPE,
  parseNote,
  parseVerifierKey,
  verifyCosignature,
  type NoteKey,
} from './signed-note.js';

/** Everything needed to check offline that a decision is in the signed log. */
export interface Receipt {
  readonly region: string;
  readonly decisionId: string;
  readonly leafIndex: number;
  /** Base64 of the exact leaf bytes. */
  readonly leaf: string;
  /** The signed checkpoint the proof is against, with any witness cosignatures. */
  readonly checkpoint: string;
  readonly inclusion: { leafIndex: number; treeSize: number; hashes: string[] };
  /** The region's verifier key (C2SP vkey) the checkpoint verifies under. */
  readonly verifierKey: string;
}

export type ReceiptLookup =
  | { readonly status: 'found'; readonly receipt: Receipt }
  | { readonly status: 'pending' }
  | { readonly status: 'unknown' };

/**
 * Each region's transparency log: runs the region's integrator (one active per region store
 * across all instances), and serves what auditors and witnesses read — checkpoints with
 * cosignatures, entries by index, inclusion and consistency proofs, receipts — and full
 * verification. Reads take the caller's EntityManager, so an auditor's access and what it
 * read are one audited transaction.
 */
export class TransparencyLog implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('TransparencyLog');
  private readonly integrators = new Map<string, RegionIntegrator>();
  private readonly witnesses: readonly NoteKey[];

  constructor(
    private readonly config: GatewayConfig['audit'],
    private readonly router: RegionRouter,
    private readonly store: LogStore,
    private readonly signer: CheckpointSigner,
    readonly sink: CheckpointSink | undefined,
    private readonly metrics: GatewayMetrics,
  ) {
    this.witnesses = config.witnesses.map((vkey) => {
      const key = parseVerifierKey(vkey);
      if (key.type !== SIGNATURE_TYPE.cosignatureV1)
        throw new Error(`witness key ${key.name} is not a cosignature/v1 key`);
      return key;
    });
    for (const region of router.topology.local) {
      this.integrators.set(
        region.id,
        new RegionIntegrator(
          region.id,
          router.localRoute(region.id).dataSource,
          store,
          signer,
          sink,
          { intervalMs: config.integrationIntervalMs, batchSize: config.integrationBatch },
          (id, result) => {
            this.observe(id, result);
          },
        ),
      );
    }
  }

  onApplicationBootstrap(): void {
    for (const integrator of this.integrators.values()) integrator.start();
  }

  /** Lets each integrator finish its round (commit or roll back) before the stores close. */
  async onApplicationShutdown(): Promise<void> {
    await Promise.all([...this.integrators.values()].map((integrator) => integrator.stop()));
  }

  /** One integration round of a region now (tests, benchmarks, `verify` catching up). */
  async integrateNow(region: string): Promise<RoundResult> {
    const integrator = this.integrators.get(region);
    if (integrator === undefined) throw new Error(`no integrator for ${region}`);
    return integrator.round();
  }

  verifierKey(region: string): string {
    return this.signer.verifierKey(region);
  }

  origin(region: string): string {
    return originOf(region);
  }

  /** The latest signed checkpoint with the cosignatures witnesses posted for it. */
  async latestCheckpoint(
    manager: EntityManager,
  ): Promise<{ checkpoint: StoredCheckpoint; note: string } | undefined> {
    const checkpoint = await this.store.latestCheckpoint(manager);
    if (checkpoint === undefined) return undefined;
    return { checkpoint, note: await this.withCosignatures(manager, checkpoint) };
  }

  async withCosignatures(manager: EntityManager, checkpoint: StoredCheckpoint): Promise<string> {
    const cosignatures = await this.store.cosignatures(manager, checkpoint.size);
    return checkpoint.note + cosignatures.map((c) => c.line).join('');
  }

  async inclusionProof(manager: EntityManager, index: number, size: number): Promise<Buffer[]> {
    return this.store.rangeHashes(manager, inclusionRanges(index, size));
  }

  async consistencyProof(manager: EntityManager, from: number, to: number): Promise<Buffer[]> {
    return this.store.rangeHashes(manager, consistencyRanges(from, to));
  }

  /** A decision's receipt against the latest checkpoint, or why there is none yet. */
  async receipt(
    manager: EntityManager,
    region: string,
    decisionId: string,
  ): Promise<ReceiptLookup> {
    const found = await this.store.leafOfDecision(manager, decisionId);
    if (found === undefined) return { status: 'unknown' };
    const latest = await this.latestCheckpoint(manager);
    if (found.index === undefined || latest === undefined || found.index >= latest.checkpoint.size)
      return { status: 'pending' };
    const hashes = await this.inclusionProof(manager, found.index, latest.checkpoint.size);
    return {
      status: 'found',
      receipt: {
        region,
        decisionId,
        leafIndex: found.index,
        leaf: found.leaf.toString('base64'),
        checkpoint: latest.note,
        inclusion: {
          leafIndex: found.index,
          treeSize: latest.checkpoint.size,
          hashes: hashes.map((hash) => hash.toString('base64')),
        },
        verifierKey: this.verifierKey(region),
      },
    };
  }

  /**
   * Keeps the cosignatures of known witnesses found on `note` (a checkpoint this log signed,
   * returned by a witness with its cosignature appended). Returns the witnesses whose
   * cosignature was stored; throws if the note is not one of this log's checkpoints or carries
   * no valid cosignature of a known witness.
   */
  async addCosignatures(
    manager: EntityManager,
    region: string,
    note: string,
  ): Promise<{ treeSize: number; witnesses: string[] }> {
    let parsed: ReturnType<typeof parseNote>;
    try {
      parsed = parseNote(note);
    } catch {
      throw new CosignatureRejectedError('the body is not a signed note (C2SP signed-note)');
    }
    const stored = await this.storedCheckpointWithText(manager, parsed.text);
    if (stored === undefined)
      throw new CosignatureRejectedError('the note is not a checkpoint this log signed');
    const accepted: string[] = [];
    for (const witness of this.witnesses) {
      const line = parsed.signatures.find(
        (s) => s.name === witness.name && s.keyId.equals(witness.keyId),
      );
      if (line === undefined) continue;
      let timestamp: number;
      try {
        timestamp = verifyCosignature(note, witness);
      } catch {
        throw new CosignatureRejectedError(`the cosignature of ${witness.name} does not verify`);
      }
      await this.store.insertCosignature(manager, stored.size, {
        witness: witness.name,
        line: line.line,
        cosignedAt: new Date(timestamp * 1000),
      });
      accepted.push(witness.name);
    }
    if (accepted.length === 0)
      throw new CosignatureRejectedError(
        `no cosignature of a known witness on the ${region} checkpoint`,
      );
    return { treeSize: stored.size, witnesses: accepted };
  }

  /** Full verification of a region's log (see {@link verifyLog}), with the sink if configured. */
  async verify(
    region: string,
    outside: readonly OutsideCheckpoint[] = [],
    onProgress?: (done: number, total: number) => void,
  ): Promise<LogVerification> {
    return verifyLog(
      (work) => this.router.read(region, work),
      region,
      this.signer.keyFor(region),
      {
        checkpoints: outside,
        ...(this.sink === undefined ? {} : { sinkRounds: this.sink.rounds(region) }),
      },
      onProgress === undefined ? {} : { onProgress },
    );
  }

  private async storedCheckpointWithText(
    manager: EntityManager,
    text: string,
  ): Promise<StoredCheckpoint | undefined> {
    const size = Number(text.split('\n')[1]);
    if (!Number.isSafeInteger(size)) return undefined;
    const stored = await this.store.checkpoint(manager, size);
    return stored !== undefined && parseNote(stored.note).text === text ? stored : undefined;
  }

  private observe(region: string, result: RoundResult): void {
    this.metrics.auditIntegrated.inc({ region }, result.integrated);
    this.metrics.auditTreeSize.set({ region }, result.treeSize);
    for (const ms of result.delaysMs)
      this.metrics.auditIntegrationDelay.observe({ region }, ms / 1000);
    if (result.integrated > 0)
      this.logger.debug({
        message: 'integrated',
        region,
        leaves: result.integrated,
        treeSize: result.treeSize,
      });
  }
}
