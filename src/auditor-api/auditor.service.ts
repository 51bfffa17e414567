import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AccessGate } from '../access/access-gate.js';
import type { StoredEntry, VerifyResult } from '../audit-log/audit-chain.verifier.js';
import {
  AuditLogReader,
  streamEntries,
  type DecisionFilter,
} from '../audit-log/audit-log.reader.js';
import { verifyRegionChain } from '../audit-log/chain-verification.js';
import {
  CheckpointRepository,
  loadCheckpointKey,
  signCheckpoint,
  type CheckpointKey,
  type SignedCheckpoint,
} from '../audit-log/checkpoints.js';
import { ConfigError } from '../platform/config/config.error.js';
import { GATEWAY_CONFIG } from '../platform/config/config.module.js';
import type { GatewayConfig } from '../platform/config/gateway-config.js';
import { InvalidRequestError } from '../platform/errors/domain-error.js';
import type { RequestContext } from '../platform/http/request-context.js';
import { RegionRouter } from '../regions/region-router.js';

/**
 * The auditors' view of each region's decision log: filtered pages, verification, JSON-lines
 * export, and signed checkpoints of each chain head (periodic and on demand). Every call is
 * itself an access (action `audit.read`, auditors only), decided and logged by the gate.
 */
@Injectable()
export class AuditorService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('Audit');
  private readonly reader = new AuditLogReader();
  private readonly checkpoints = new CheckpointRepository();
  private key: CheckpointKey | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    private readonly router: RegionRouter,
    private readonly gate: AccessGate,
  ) {}

  async onModuleInit(): Promise<void> {
    try {
      this.key = await loadCheckpointKey(this.config.audit.signingKeyFile);
    } catch {
      throw new ConfigError([
        `GATEWAY_AUDIT_SIGNING_KEY_FILE: cannot read a PEM private key at ${this.config.audit.signingKeyFile}`,
      ]);
    }
    this.timer = setInterval(
      () => void this.checkpointAll(),
      this.config.audit.checkpointIntervalMs,
    );
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  async decisions(
    ctx: RequestContext,
    region: string,
    filter: DecisionFilter,
    afterSeq: number,
    limit: number,
  ): Promise<{ entries: StoredEntry[]; nextCursor: number | null }> {
    const rows = await this.audited(ctx, region, (manager) =>
      this.reader.page(manager, region, filter, afterSeq, limit + 1),
    );
    const entries = rows.slice(0, limit);
    return { entries, nextCursor: rows.length > limit ? (entries.at(-1)?.seq ?? null) : null };
  }

  async verify(
    ctx: RequestContext,
    region: string,
    checkpoint: string | undefined,
  ): Promise<VerifyResult> {
    // This call's own entry is appended when the work is done (and not yet visible to it), so
    // the log is reported as found.
    return this.audited(ctx, region, async () => {
      try {
        return await verifyRegionChain((work) => this.router.read(region, work), region, {
          publicKey: this.signingKey().publicKey,
          ...(checkpoint === undefined ? {} : { extraCheckpoints: [checkpoint] }),
        });
      } catch (error) {
        if (
          error instanceof Error &&
          /signature|malformed checkpoint|JWS|Invalid Compact/i.test(error.message)
        ) {
          throw new InvalidRequestError('checkpoint is not a checkpoint signed by this gateway.');
        }
        throw error;
      }
    });
  }

  /** The region's log from `since`, entry by entry (logged as one access before it starts). */
  async export(
    ctx: RequestContext,
    region: string,
    since: Date | undefined,
  ): Promise<AsyncGenerator<StoredEntry>> {
    await this.audited(ctx, region, () => Promise.resolve());
    return streamEntries(
      (work) => this.router.read(region, work),
      region,
      since === undefined ? {} : { from: since },
    );
  }

  async listCheckpoints(
    ctx: RequestContext,
    region: string,
  ): Promise<{ publicKey: object; checkpoints: SignedCheckpoint[] }> {
    const checkpoints = await this.audited(ctx, region, (manager) =>
      this.checkpoints.list(manager, region),
    );
    return { publicKey: this.signingKey().publicJwk, checkpoints };
  }

  /** Signs the region's current head now (on demand). */
  async checkpointNow(ctx: RequestContext, region: string): Promise<SignedCheckpoint | null> {
    await this.audited(ctx, region, () => Promise.resolve());
    return this.checkpoint(region);
  }

  /** Signs every region's head that moved since its last checkpoint (the periodic job). */
  async checkpointAll(): Promise<void> {
    for (const region of this.router.topology.regions) {
      try {
        await this.checkpoint(region.id);
      } catch {
        this.logger.warn({ message: 'could not sign an audit checkpoint', region: region.id });
      }
    }
  }

  private async checkpoint(region: string): Promise<SignedCheckpoint | null> {
    const head = await this.router.read(region, (manager) => this.reader.head(manager, region));
    if (head === undefined || head.seq === 0) return null;
    const signed = await signCheckpoint(this.signingKey(), region, head.seq, head.hash);
    await this.router.transaction(region, (manager) => this.checkpoints.insert(manager, signed));
    return signed;
  }

  /** An auditor's access to the region's log, decided and logged by the gate. */
  private async audited<T>(
    ctx: RequestContext,
    region: string,
    work: (manager: EntityManager) => Promise<T>,
  ): Promise<T> {
    this.router.route(region);
    return this.gate.run(ctx, { action: 'audit.read', region, purpose: 'none', work });
  }

  private signingKey(): CheckpointKey {
    if (this.key === undefined) throw new Error('the checkpoint key is not loaded');
    return this.key;
  }
}
