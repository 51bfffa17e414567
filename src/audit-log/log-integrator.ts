import { Logger } from '@nestjs/common';
import type { DataSource, QueryRunner } from 'typeorm';
import type { CheckpointSigner } from './checkpoint-signer.js';
import type { CheckpointSink } from './checkpoint-sink.js';
import { CompactRange, leafHash, rangeNodes, type TreeNode } from './merkle.js';
import type { LogStore } from './log-store.js';

/** Session advisory lock key: one integrator per region store, across every gateway instance. */
const INTEGRATOR_LOCK = 0x7265_7369_6467; // "residg"

export interface IntegratorOptions {
  /** Pause between rounds. */
  readonly intervalMs: number;
  /** Most entries one round integrates. */
  readonly batchSize: number;
}

export interface RoundResult {
  readonly integrated: number;
  readonly treeSize: number;
  /** For each integrated entry: commit of its access → its signed checkpoint, in ms. */
  readonly delaysMs: readonly number[];
}

/**
 * The integrator of one region's log. Exactly one is active per region store at a time: it
 * holds a PostgreSQL session advisory lock on a connection of its own, and another gateway
 * instance takes over as soon as that connection ends (a crash, a kill, a network cut). Each
 * round, in one transaction on that same connection, it gives the committed entries waiting in
 * the queue consecutive leaf indices, stores every subtree they complete, and signs a
 * checkpoint of the new tree. A crash at any point rolls the round back: no committed entry is
 * lost, none is integrated twice, and the tree never forks (the tables' primary keys would
 * refuse a second leaf at an index). After the round commits, it is copied to the checkpoint
 * sink outside the store.
 */
export class RegionIntegrator {
  private readonly logger = new Logger('Integrator');
  private runner: QueryRunner | undefined;
  private leader = false;
  private range: CompactRange | undefined;
  private sunkSize: number | undefined;
  private timer: NodeJS.Timeout | undefined;
  private current: Promise<unknown> | undefined;
  private stopped = false;

  constructor(
    readonly region: string,
    private readonly dataSource: DataSource,
    private readonly store: LogStore,
    private readonly signer: CheckpointSigner,
    private readonly sink: CheckpointSink | undefined,
    private readonly options: IntegratorOptions,
    private readonly onRound: (region: string, result: RoundResult) => void = () => undefined,
  ) {}

  get isLeader(): boolean {
    return this.leader;
  }

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  /** Stops after the round under way (it commits or rolls back), then gives up the lock. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.current?.catch(() => undefined);
    await this.resign();
  }

  /**
   * One round now (the periodic loop calls this too): leads if it can, integrates what is
   * queued, syncs the sink. Returns what it did; `integrated: 0` when another instance leads.
   */
  async round(): Promise<RoundResult> {
    // One round at a time on the leader's connection: a round asked for meanwhile follows it.
    const previous = this.current ?? Promise.resolve();
    const run = previous.catch(() => undefined).then(() => this.runRound());
    this.current = run;
    return run;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.round()
        .then((result) => {
          // A full batch means more is queued: go again at once.
          this.schedule(result.integrated >= this.options.batchSize ? 0 : this.options.intervalMs);
        })
        .catch((error: unknown) => {
          this.logger.warn({
            message: 'integration round failed; retrying',
            region: this.region,
            error: error instanceof Error ? error.name : 'unknown',
          });
          this.schedule(this.options.intervalMs);
        });
    }, delayMs);
    this.timer.unref();
  }

  private async runRound(): Promise<RoundResult> {
    if (!(await this.lead()))
      return { integrated: 0, treeSize: this.range?.size ?? 0, delaysMs: [] };
    const runner = this.runner as QueryRunner;
    let result: RoundResult;
    try {
      result = await this.integrate(runner);
    } catch (error) {
      // The connection (and with it the lock) may be gone: start over as a follower.
      await this.resign();
      throw error;
    }
    await this.syncSink().catch((error: unknown) => {
      this.logger.warn({
        message: 'could not copy checkpoints to the sink; will retry',
        region: this.region,
        error: error instanceof Error ? error.name : 'unknown',
      });
    });
    if (result.integrated > 0) this.onRound(this.region, result);
    return result;
  }

  private async lead(): Promise<boolean> {
    if (this.leader) return true;
    this.runner ??= this.dataSource.createQueryRunner();
    try {
      const rows = (await this.runner.query('SELECT pg_try_advisory_lock($1) AS locked', [
        INTEGRATOR_LOCK,
      ])) as { locked: boolean }[];
      this.leader = rows[0]?.locked === true;
    } catch {
      await this.resign();
      return false;
    }
    if (this.leader) {
      this.range = undefined;
      this.sunkSize = undefined;
      this.logger.log({ message: 'integrating this region’s log', region: this.region });
    }
    return this.leader;
  }

  private async resign(): Promise<void> {
    const runner = this.runner;
    this.runner = undefined;
    this.leader = false;
    this.range = undefined;
    if (runner !== undefined && !runner.isReleased) {
      // Ending the session releases the advisory lock even if the unlock cannot be sent.
      await runner.query('SELECT pg_advisory_unlock_all()').catch(() => undefined);
      await runner.release().catch(() => undefined);
    }
  }

  private async integrate(runner: QueryRunner): Promise<RoundResult> {
    await runner.startTransaction();
    try {
      const manager = runner.manager;
      const size = await this.store.treeSize(manager);
      if (this.range?.size !== size) this.range = await this.loadRange(runner, size);
      const pending = await this.store.pending(manager, this.options.batchSize);
      if (pending.length === 0) {
        await runner.commitTransaction();
        return { integrated: 0, treeSize: size, delaysMs: [] };
      }
      const next = this.range.clone();
      const completed: { node: TreeNode; hash: Buffer }[] = [];
      for (const { leaf } of pending) completed.push(...next.append(leafHash(leaf)));
      await this.store.integrate(
        manager,
        size,
        pending.map((p) => p.entryId),
        completed,
      );
      const root = next.root();
      await this.store.insertCheckpoint(
        manager,
        next.size,
        root,
        this.signer.sign(this.region, next.size, root),
      );
      await runner.commitTransaction();
      this.range = next;
      const signedAt = Date.now();
      return {
        integrated: pending.length,
        treeSize: next.size,
        delaysMs: pending.map((p) => signedAt - p.loggedAt.getTime()),
      };
    } catch (error) {
      if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
      this.range = undefined;
      throw error;
    }
  }

  /** The stored right edge of a tree of `size` leaves: enough to keep appending. */
  private async loadRange(runner: QueryRunner, size: number): Promise<CompactRange> {
    const edge = rangeNodes(0, size);
    const hashes = await this.store.nodes(runner.manager, edge);
    return new CompactRange(
      size,
      edge.map((node) => ({
        level: node.level,
        hash: hashes.get(`${String(node.level)}/${String(node.index)}`) as Buffer,
      })),
    );
  }

  /** Copies every round signed since the sink's latest to the sink (catching up after outages). */
  private async syncSink(): Promise<void> {
    const sink = this.sink;
    const runner = this.runner;
    if (sink === undefined || runner === undefined) return;
    this.sunkSize ??= await sink.latestSize(this.region);
    for (;;) {
      const checkpoints = await this.store.checkpoints(runner.manager, {
        afterSize: this.sunkSize,
        limit: 100,
      });
      if (checkpoints.length === 0) return;
      for (const checkpoint of checkpoints) {
        const from = this.sunkSize;
        const leafHashes = await this.store.leafHashes(runner.manager, from, checkpoint.size);
        await sink.append(this.region, {
          from,
          size: checkpoint.size,
          note: checkpoint.note,
          leafHashes,
        });
        this.sunkSize = checkpoint.size;
      }
    }
  }
}
