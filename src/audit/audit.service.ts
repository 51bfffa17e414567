import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import { GATEWAY_CONFIG } from '../platform/config/config.module.js';
import type { GatewayConfig } from '../platform/config/gateway-config.js';
import { ConfigError } from '../platform/config/config.error.js';
import { InvalidRequestError } from '../platform/errors/domain-error.js';
import type { RequestContext } from '../platform/http/request-context.js';
import { AccessDecider } from '../policy/access-decider.js';
import { RegionRouter } from '../regions/region-router.js';
import type { StoredEntry, VerifyResult } from './audit-chain.verifier.js';
import { AuditLogReader, type DecisionFilter } from './audit-log.reader.js';
import { verifyRegionChain } from './chain-verification.js';
import {
  CheckpointRepository,
  loadCheckpointKey,
  signCheckpoint,
  type CheckpointKey,
  type SignedCheckpoint,
} from './checkpoints.js';

const EXPORT_PAGE = 500;

/**
 * The auditors' view of each region's decision log: filtered pages, chain verification,
 * JSON-lines export, and signed checkpoints of each chain head (periodic and on demand).
 * Every call is itself decided (action `audit.read`, auditors only) and logged.
 */
@Injectable()
export class AuditService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('Audit');
  private readonly reader = new AuditLogReader();
  private readonly checkpoints = new CheckpointRepository();
  private key: CheckpointKey | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    private readonly router: RegionRouter,
    private readonly access: AccessDecider,
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
    const authorized = await this.authorize(ctx, region);
    const rows = await this.access.run(authorized, (manager) =>
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
    const authorized = await this.authorize(ctx, region);
    // This call's own entry is appended when the work is done (and not yet visible to it), so
    // the chain is reported as found.
    return this.access.run(authorized, async () => {
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

  /** JSON lines of the region's log from `since`, page by page. */
  async *exportLines(
    ctx: RequestContext,
    region: string,
    since: Date | undefined,
  ): AsyncGenerator<string> {
    const authorized = await this.authorize(ctx, region);
    await this.access.run(authorized, () => Promise.resolve());
    let after = 0;
    for (;;) {
      const page = await this.router.read(region, (manager) =>
        this.reader.page(
          manager,
          region,
          since === undefined ? {} : { from: since },
          after,
          EXPORT_PAGE,
        ),
      );
      for (const row of page) yield `${JSON.stringify(exportRecord(region, row))}\n`;
      const last = page.at(-1);
      if (last === undefined || page.length < EXPORT_PAGE) return;
      after = last.seq;
    }
  }

  async listCheckpoints(
    ctx: RequestContext,
    region: string,
  ): Promise<{ publicKey: object; checkpoints: SignedCheckpoint[] }> {
    const authorized = await this.authorize(ctx, region);
    const checkpoints = await this.access.run(authorized, (manager) =>
      this.checkpoints.list(manager, region),
    );
    return { publicKey: this.signingKey().publicJwk, checkpoints };
  }

  /** Signs the region's current head now (on demand). */
  async checkpointNow(ctx: RequestContext, region: string): Promise<SignedCheckpoint | null> {
    const authorized = await this.authorize(ctx, region);
    await this.access.run(authorized, () => Promise.resolve());
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

  private async authorize(ctx: RequestContext, region: string) {
    this.router.route(region);
    return this.access.authorize(ctx, { action: 'audit.read', homeRegion: region, purpose: null });
  }

  private signingKey(): CheckpointKey {
    if (this.key === undefined) throw new Error('the checkpoint key is not loaded');
    return this.key;
  }
}

/** One exported line: the OPA decision-log entry plus its place in the chain. */
export function exportRecord(region: string, row: StoredEntry): Record<string, unknown> {
  return {
    ...row.entry,
    region,
    seq: row.seq,
    prev_hash: row.prevHash.toString('hex'),
    hash: row.hash.toString('hex'),
  };
}
