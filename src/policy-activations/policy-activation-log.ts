import { randomUUID } from 'node:crypto';
import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import { AuditLogWriter } from '../audit-log/audit-log.writer.js';
import { GATEWAY_CONFIG } from '../platform/config/config.module.js';
import type { GatewayConfig, RegionConfig } from '../platform/config/gateway-config.js';
import type { ActivatedBuild, BundleHistory, BundleRefusal } from '../policy/bundle-history.js';
import type { Decision, LoggedBundle } from '../policy/decision.js';
import type { BundleIdentity } from '../policy/policy-snapshot.js';
import { PolicyService } from '../policy/policy.service.js';
import { RegionRouter } from '../regions/region-router.js';
import { PolicyActivationsRepository } from './policy-activations.repository.js';

/** How often activations a store could not take are tried again. */
const RETRY_MS = 10_000;

/**
 * The policy bundle's history in every region: each activation is a row of
 * `policy_activations` and an entry (`policy.activate`) in the region's decision log, written
 * in one transaction; each refused bundle is a `policy.refuse` entry. The highest build
 * recorded in any region is the floor below which no gateway activates a bundle.
 */
@Injectable()
export class PolicyActivationLog implements BundleHistory, OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('PolicyActivations');
  /** Activations a region's store did not take yet, retried until it does. */
  private readonly pending = new Map<string, () => Promise<void>>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    private readonly policy: PolicyService,
    private readonly router: RegionRouter,
    private readonly activations: PolicyActivationsRepository,
    private readonly log: AuditLogWriter,
  ) {}

  onModuleInit(): void {
    this.policy.attachHistory(this);
    this.timer = setInterval(() => void this.retry(), RETRY_MS);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  async highest(): Promise<ActivatedBuild | undefined> {
    const answers = await Promise.allSettled(
      this.config.regions.map((region) =>
        this.router.read(region.id, (manager) => this.activations.highest(manager)),
      ),
    );
    let best: { build: number; revisions: Set<string> } | undefined;
    for (const answer of answers) {
      if (answer.status === 'rejected') continue;
      const { build, revisions } = answer.value;
      if (best === undefined || build > best.build) best = { build, revisions: new Set(revisions) };
      else if (build === best.build) for (const r of revisions) best.revisions.add(r);
    }
    return best;
  }

  async activated(bundle: BundleIdentity, previous: BundleIdentity | undefined): Promise<void> {
    await Promise.all(
      this.config.regions.map(async (region) => {
        const record = async (): Promise<void> => {
          const decision = this.entry(region, 'policy.activate', bundle, bundle, previous, [
            'bundle_activated',
          ]);
          await this.router.transaction(region.id, async (manager) => {
            await this.activations.record(manager, bundle, this.config.instanceId);
            await this.log.appendWithin(manager, region.id, [decision]);
          });
        };
        this.pending.delete(region.id);
        try {
          await record();
        } catch (error) {
          this.pending.set(region.id, record);
          this.logger.warn({
            message: 'could not record the policy activation; retrying',
            region: region.id,
            build: bundle.build,
            error: error instanceof Error ? error.message : String(error),
          });
        }
      }),
    );
  }

  async refused(
    candidate: Partial<BundleIdentity> & { readonly digest: string },
    reason: BundleRefusal,
    _detail: string,
    running: BundleIdentity | undefined,
  ): Promise<void> {
    await Promise.all(
      this.config.regions.map(async (region) => {
        const decision = this.entry(region, 'policy.refuse', running, candidate, running, [reason]);
        try {
          await this.log.append(region.id, [decision]);
        } catch (error) {
          this.logger.warn({
            message: 'could not log the refused policy bundle',
            region: region.id,
            reason,
            error: error instanceof Error ? error.message : String(error),
          });
        }
      }),
    );
  }

  private async retry(): Promise<void> {
    for (const [region, record] of [...this.pending]) {
      try {
        await record();
        this.pending.delete(region);
      } catch {
        // Still unavailable: the next round tries again.
      }
    }
  }

  /**
   * A log entry about the policy itself: the gateway is the caller, the bundle is the
   * resource; `decidedBy` (the bundle in force once the entry applies) names `bundles`.
   */
  private entry(
    region: RegionConfig,
    action: 'policy.activate' | 'policy.refuse',
    decidedBy: BundleIdentity | undefined,
    bundle: LoggedBundle,
    running: BundleIdentity | undefined,
    reasons: readonly string[],
  ): Decision {
    return {
      decisionId: randomUUID(),
      revision: decidedBy?.revision ?? '',
      build: decidedBy?.build ?? 0,
      allow: action === 'policy.activate',
      reasons,
      fields: {},
      break_glass: false,
      input: {
        caller: {
          service: 'residency-gateway',
          region: region.id,
          jurisdiction: region.jurisdiction,
          roles: [],
        },
        action,
        purpose: null,
        case: null,
        resource: {
          jurisdiction: region.jurisdiction,
          bundle: logged(bundle),
          running: running === undefined ? null : logged(running),
        },
        now: new Date().toISOString(),
      },
    };
  }
}

function logged(bundle: LoggedBundle): LoggedBundle {
  return {
    digest: bundle.digest,
    ...(bundle.revision === undefined ? {} : { revision: bundle.revision }),
    ...(bundle.build === undefined ? {} : { build: bundle.build }),
    ...(bundle.commit === undefined ? {} : { commit: bundle.commit }),
  };
}
