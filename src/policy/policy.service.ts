import { createPublicKey, randomUUID, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
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
import { BundleRejectedError, verifyBundle } from './bundle-verifier.js';
import { PolicyUnavailableError, type Decision, type PolicyInput } from './decision.js';
import { PolicyBundleSource } from './policy-bundle.source.js';
import { WasmPolicyEngine } from './wasm-policy-engine.js';

export interface PolicyStatus {
  readonly loaded: boolean;
  readonly revision: string | null;
  /** SHA-256 of the bundle archive in use. */
  readonly bundleHash: string | null;
  readonly loadedAt: string | null;
  readonly source: string;
  /** Why the latest update was refused, if it was; the previous bundle stays in use. */
  readonly lastRejection: { readonly at: string; readonly reason: string } | null;
}

interface Active {
  readonly engine: WasmPolicyEngine;
  readonly revision: string;
  readonly digest: string;
  readonly loadedAt: Date;
}

/**
 * The policy decision point: the verified bundle in use, evaluated in process. Polls its
 * source for new revisions, keeps the last good bundle when an update fails verification or
 * loading, and fails closed (PolicyUnavailableError) while it has none.
 */
@Injectable()
export class PolicyService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('Policy');
  private readonly source: PolicyBundleSource;
  private readonly publicKey: KeyObject;
  private active: Active | undefined;
  private lastRejection: PolicyStatus['lastRejection'] = null;
  private timer: NodeJS.Timeout | undefined;
  private reloading: Promise<void> | undefined;

  constructor(@Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig) {
    this.source = new PolicyBundleSource(config.policy.bundleSource);
    try {
      this.publicKey = createPublicKey(readFileSync(config.policy.publicKeyFile));
    } catch {
      throw new ConfigError([
        `GATEWAY_POLICY_PUBLIC_KEY_FILE: cannot read a PEM public key at ${config.policy.publicKeyFile}`,
      ]);
    }
  }

  async onModuleInit(): Promise<void> {
    await this.reload();
    this.timer = setInterval(() => void this.reload(), this.config.policy.reloadIntervalMs);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  /** Fetches, verifies and loads the current bundle if it changed. Never throws. */
  async reload(): Promise<void> {
    this.reloading ??= this.tryReload().finally(() => (this.reloading = undefined));
    return this.reloading;
  }

  /**
   * Decides one input with the bundle in use. Throws PolicyUnavailableError when there is no
   * bundle or evaluation fails: a failure never becomes an allow.
   */
  decide(input: PolicyInput): Decision {
    const active = this.active;
    if (active === undefined) throw new PolicyUnavailableError();
    try {
      const result = active.engine.evaluate(input);
      return { ...result, decisionId: randomUUID(), revision: active.revision, input };
    } catch (error) {
      throw new PolicyUnavailableError(error);
    }
  }

  status(): PolicyStatus {
    return {
      loaded: this.active !== undefined,
      revision: this.active?.revision ?? null,
      bundleHash: this.active === undefined ? null : `sha256:${this.active.digest}`,
      loadedAt: this.active?.loadedAt.toISOString() ?? null,
      source: this.source.isUrl ? this.source.location : 'file',
      lastRejection: this.lastRejection,
    };
  }

  private async tryReload(): Promise<void> {
    let archive: Buffer | undefined;
    try {
      archive = await this.source.fetch();
    } catch (error) {
      this.reject(
        error instanceof Error && 'code' in error
          ? `cannot read the bundle (${String(error.code)})`
          : 'cannot fetch the bundle',
      );
      return;
    }
    if (archive === undefined) return;
    try {
      const bundle = await verifyBundle(archive, this.publicKey);
      if (bundle.digest === this.active?.digest) return;
      const engine = await WasmPolicyEngine.load(bundle, {
        initialPages: this.config.policy.memoryInitialPages,
        maximumPages: this.config.policy.memoryMaximumPages,
      });
      this.active = {
        engine,
        revision: bundle.revision,
        digest: bundle.digest,
        loadedAt: new Date(),
      };
      this.logger.log({ message: 'policy bundle loaded', revision: bundle.revision });
    } catch (error) {
      this.reject(
        error instanceof BundleRejectedError ? error.reason : 'the bundle failed to load',
      );
    }
  }

  private reject(reason: string): void {
    const repeated = this.lastRejection?.reason === reason;
    this.lastRejection = { at: new Date().toISOString(), reason };
    if (!repeated) {
      this.logger.warn({
        message:
          this.active === undefined
            ? 'no valid policy bundle: every decision fails closed'
            : 'policy update refused; keeping the current bundle',
        reason,
        revision: this.active?.revision ?? null,
      });
    }
  }
}
