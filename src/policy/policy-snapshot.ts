import { randomUUID } from 'node:crypto';
import { CollectionCatalog } from '../catalog/collection-catalog.js';
import { ConfigError } from '../platform/config/config.error.js';
import { JurisdictionMap } from '../regions/jurisdiction-map.js';
import type { VerifiedBundle } from './bundle-verifier.js';
import { PolicyUnavailableError, type Decision, type PolicyInput } from './decision.js';
import type { WasmPolicyEngine } from './wasm-policy-engine.js';

/** What identifies a bundle: in every decision, every audit entry, every activation. */
export interface BundleIdentity {
  readonly revision: string;
  readonly build: number;
  readonly commit: string | null;
  /** SHA-256 of the archive as received. */
  readonly digest: string;
}

/**
 * Everything that decides, from one verified bundle, switched as one: the rules (wasm), and
 * the data the gateway itself acts on — the collection catalog (what may be written and how it
 * is classed) and the country → jurisdiction map (where a subject is homed). A request takes
 * one snapshot and uses it for validation and decision alike, so a reload never lets a request
 * validate against one bundle and be decided by another.
 */
export class PolicySnapshot implements BundleIdentity {
  readonly revision: string;
  readonly build: number;
  readonly commit: string | null;
  readonly digest: string;
  readonly loadedAt = new Date();

  private constructor(
    bundle: VerifiedBundle,
    private readonly engine: WasmPolicyEngine,
    readonly catalog: CollectionCatalog,
    readonly jurisdictions: JurisdictionMap,
  ) {
    this.revision = bundle.revision;
    this.build = bundle.build;
    this.commit = bundle.commit;
    this.digest = bundle.digest;
  }

  /** The snapshot of a verified bundle; throws (the bundle is refused) if its data is unusable. */
  static of(bundle: VerifiedBundle, engine: WasmPolicyEngine): PolicySnapshot {
    const data = (bundle.data as { residency?: { catalog?: unknown; jurisdictions?: unknown } })
      .residency;
    let catalog: CollectionCatalog;
    let jurisdictions: JurisdictionMap;
    try {
      catalog = new CollectionCatalog(data?.catalog, 'bundle data residency.catalog');
      jurisdictions = JurisdictionMap.fromData(data?.jurisdictions);
    } catch (error) {
      throw new BundleDataError(
        error instanceof ConfigError ? error.problems.join('; ') : 'unreadable',
      );
    }
    return new PolicySnapshot(bundle, engine, catalog, jurisdictions);
  }

  /** Decides one input. A failure to evaluate is a 503, never an allow. */
  decide(input: PolicyInput): Decision {
    try {
      const result = this.engine.evaluate(input);
      return {
        ...result,
        decisionId: randomUUID(),
        revision: this.revision,
        build: this.build,
        input,
      };
    } catch (error) {
      throw new PolicyUnavailableError(error);
    }
  }
}

/** The bundle's data (catalog, jurisdictions) does not have the shape the gateway needs. */
export class BundleDataError extends Error {
  override readonly name = 'BundleDataError';
}
