import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { GATEWAY_CONFIG } from '../platform/config/config.module.js';
import type { GatewayConfig } from '../platform/config/gateway-config.js';
import { ConfigError } from '../platform/config/config.error.js';
import { GatewayMetrics } from '../platform/metrics/gateway-metrics.js';
import type { BundleHistory, BundleRefusal } from './bundle-history.js';
import { BundleRejectedError, verifyBundle, type VerifiedBundle } from './bundle-verifier.js';
import { PolicyUnavailableError, type Decision, type PolicyInput } from './decision.js';
import { isDevelopmentKey } from './development-key.js';
import { PolicyBundleSource } from './policy-bundle.source.js';
import { BundleDataError, PolicySnapshot, type BundleIdentity } from './policy-snapshot.js';
import { WasmPolicyEngine } from './wasm-policy-engine.js';

export interface PolicyStatus {
  readonly loaded: boolean;
  readonly revision: string | null;
  /** The signed build number of the bundle in force. */
  readonly build: number | null;
  /** The source commit the bundle in force was built from. */
  readonly commit: string | null;
  /** SHA-256 of the bundle archive in use. */
  readonly bundleHash: string | null;
  readonly loadedAt: string | null;
  readonly source: string;
  /** Why the latest update was refused, if it was; the previous bundle stays in use. */
  readonly lastRejection: {
    readonly at: string;
    readonly reason: BundleRefusal;
    readonly detail: string;
  } | null;
}

class Refusal extends Error {
  constructor(
    readonly reason: BundleRefusal,
    readonly detail: string,
    /** Refused for now only (the stores did not answer): try the same bundle again. */
    readonly retry = false,
  ) {
    super(detail);
  }
}

/**
 * The policy decision point. Everything that decides comes from one verified bundle, held as a
 * {@link PolicySnapshot}: the rules, the collection catalog, the country → jurisdiction map.
 *
 * It polls its source; a new bundle is activated only if it verifies against the configured
 * key, its data is usable, and its signed build number is above the one running and not below
 * the highest any gateway recorded in the regions' stores (a rollback is refused, even across
 * restarts). A refused bundle is logged, counted and recorded in every region's decision log
 * (once per bundle); the running one keeps serving. With no bundle in force every decision
 * fails closed (503 `policy_unavailable`) and readiness is false, and polling goes on.
 */
@Injectable()
export class PolicyService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Policy');
  private readonly source: PolicyBundleSource;
  private readonly publicKey: KeyObject;
  private active: PolicySnapshot | undefined;
  private history: BundleHistory | undefined;
  private lastRejection: PolicyStatus['lastRejection'] = null;
  /** Bundles already refused, by archive digest: not verified, logged or audited again. */
  private readonly refused = new Map<string, BundleRefusal>();
  private timer: NodeJS.Timeout | undefined;
  private reloading: Promise<void> | undefined;

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    private readonly metrics: GatewayMetrics,
  ) {
    this.source = new PolicyBundleSource(config.policy.bundleSource);
    try {
      this.publicKey = createPublicKey(readFileSync(config.policy.publicKeyFile));
    } catch {
      throw new ConfigError([
        `GATEWAY_POLICY_PUBLIC_KEY_FILE: cannot read a PEM public key at ${config.policy.publicKeyFile}`,
      ]);
    }
    if (isDevelopmentKey(this.publicKey) && !config.development) {
      throw new ConfigError([
        'GATEWAY_POLICY_PUBLIC_KEY_FILE is the committed development key, whose private half is public: use your own signing key (infra/README.md), or set GATEWAY_DEVELOPMENT=true on a local machine',
      ]);
    }
  }

  /**
   * Where activations are recorded and the build floor is read (the policy-activations module
   * attaches it while modules initialize, before the first bundle is loaded at bootstrap).
   */
  attachHistory(history: BundleHistory): void {
    this.history = history;
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.reload();
    this.timer = setInterval(() => void this.reload(), this.config.policy.reloadIntervalMs);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  /** Fetches, verifies and activates the current bundle if it changed. Never throws. */
  async reload(): Promise<void> {
    this.reloading ??= this.tryReload().finally(() => (this.reloading = undefined));
    return this.reloading;
  }

  /**
   * The bundle in force, for one request to validate and decide with (a reload never gives a
   * request two). Throws PolicyUnavailableError while there is none.
   */
  snapshot(): PolicySnapshot {
    if (this.active === undefined) throw new PolicyUnavailableError();
    return this.active;
  }

  /** Decides one input with the bundle in force; a failure is a 503, never an allow. */
  decide(input: PolicyInput): Decision {
    return this.snapshot().decide(input);
  }

  status(): PolicyStatus {
    const active = this.active;
    return {
      loaded: active !== undefined,
      revision: active?.revision ?? null,
      build: active?.build ?? null,
      commit: active?.commit ?? null,
      bundleHash: active === undefined ? null : `sha256:${active.digest}`,
      loadedAt: active?.loadedAt.toISOString() ?? null,
      source: this.source.isUrl ? this.source.location : 'file',
      lastRejection: this.lastRejection,
    };
  }

  private async tryReload(): Promise<void> {
    let archive: Buffer | undefined;
    try {
      archive = await this.source.fetch();
    } catch (error) {
      this.note(
        'unreadable',
        error instanceof Error && 'code' in error
          ? `cannot read the bundle (${String(error.code)})`
          : 'cannot fetch the bundle',
      );
      return;
    }
    if (archive === undefined) return;
    const digest = createHash('sha256').update(archive).digest('hex');
    if (digest === this.active?.digest || this.refused.has(digest)) return;

    let bundle: VerifiedBundle | undefined;
    try {
      bundle = await this.verify(archive);
      await this.checkOrder(bundle);
      const snapshot = await this.load(bundle);
      const previous = this.active;
      this.active = snapshot;
      this.lastRejection = null;
      this.metrics.policyBundleBuild.set(snapshot.build);
      this.logger.log({
        message: 'policy bundle activated',
        revision: snapshot.revision,
        build: snapshot.build,
        commit: snapshot.commit,
        previousBuild: previous?.build ?? null,
      });
      await this.history?.activated(snapshot, previous);
    } catch (error) {
      const refusal =
        error instanceof Refusal ? error : new Refusal('unloadable', 'the bundle failed to load');
      this.note(refusal.reason, refusal.detail);
      if (refusal.retry) return;
      this.refused.set(digest, refusal.reason);
      await this.history?.refused(
        bundle === undefined ? { digest } : identityOf(bundle),
        refusal.reason,
        refusal.detail,
        this.active,
      );
    }
  }

  private async verify(archive: Buffer): Promise<VerifiedBundle> {
    try {
      return await verifyBundle(archive, this.publicKey);
    } catch (error) {
      if (error instanceof BundleRejectedError) throw new Refusal(error.reason, error.message);
      throw error;
    }
  }

  /** Refuses a bundle that is not strictly newer than what runs here or ran in a region. */
  private async checkOrder(bundle: VerifiedBundle): Promise<void> {
    if (bundle.build < 1) {
      throw new Refusal('no_build_number', 'the manifest carries no signed build number');
    }
    const running = this.active;
    if (running !== undefined) refuseBelow(bundle, running.build, new Set([running.revision]));
    if (this.history === undefined) return;
    const recorded = await this.history.highest();
    if (recorded === undefined) {
      throw new Refusal(
        'history_unavailable',
        'no regional store answered: cannot check the bundle against the builds activated',
        true,
      );
    }
    refuseBelow(bundle, recorded.build, recorded.revisions);
  }

  private async load(bundle: VerifiedBundle): Promise<PolicySnapshot> {
    let engine: WasmPolicyEngine;
    try {
      engine = await WasmPolicyEngine.load(bundle, {
        initialPages: this.config.policy.memoryInitialPages,
        maximumPages: this.config.policy.memoryMaximumPages,
      });
    } catch (error) {
      throw new Refusal(
        'unloadable',
        `the policy does not load: ${error instanceof Error ? error.message : 'unknown error'}`,
      );
    }
    let snapshot: PolicySnapshot;
    try {
      snapshot = PolicySnapshot.of(bundle, engine);
    } catch (error) {
      throw new Refusal(
        'bad_data',
        error instanceof BundleDataError ? error.message : 'unusable bundle data',
      );
    }
    const unplaced = this.config.regions.filter(
      (region) => !snapshot.jurisdictions.hasJurisdiction(region.jurisdiction),
    );
    if (unplaced.length > 0) {
      throw new Refusal(
        'missing_jurisdiction',
        `no country maps to ${unplaced.map((r) => `${r.jurisdiction} (region ${r.id})`).join(', ')}`,
      );
    }
    return snapshot;
  }

  private note(reason: BundleRefusal, detail: string): void {
    const repeated = this.lastRejection?.reason === reason && this.lastRejection.detail === detail;
    this.lastRejection = { at: new Date().toISOString(), reason, detail };
    this.metrics.policyBundleRefusals.inc({ reason });
    if (repeated) return;
    this.logger.warn({
      message:
        this.active === undefined
          ? 'no valid policy bundle: every decision fails closed'
          : 'policy update refused; keeping the current bundle',
      reason,
      detail,
      revision: this.active?.revision ?? null,
      build: this.active?.build ?? null,
    });
  }
}

function identityOf(bundle: VerifiedBundle): BundleIdentity {
  return {
    revision: bundle.revision,
    build: bundle.build,
    commit: bundle.commit,
    digest: bundle.digest,
  };
}

function refuseBelow(bundle: VerifiedBundle, build: number, revisions: ReadonlySet<string>): void {
  if (bundle.build < build) {
    throw new Refusal(
      'rollback',
      `build ${String(bundle.build)} is older than build ${String(build)}, already in force`,
    );
  }
  if (bundle.build === build && !revisions.has(bundle.revision)) {
    throw new Refusal(
      'same_build_other_content',
      `build ${String(bundle.build)} is already in force with other content (revision ${[...revisions].join(', ')})`,
    );
  }
}
