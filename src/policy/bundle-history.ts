import type { BundleIdentity } from './policy-snapshot.js';

/**
 * Why a bundle was refused (a stable code: metrics label, `/v1/policy`, audit entry reason).
 * The running bundle, if any, keeps serving.
 */
export type BundleRefusal =
  /** The bundle could not be fetched or read (not audited: there is no bundle to name). */
  | 'unreadable'
  /** The regions' stores could not say which builds were activated: retried on the next poll. */
  | 'history_unavailable'
  | 'malformed'
  | 'unsigned'
  | 'bad_signature'
  | 'file_list_mismatch'
  | 'digest_mismatch'
  | 'incomplete'
  /** The manifest carries no build number, so it cannot be ordered against others. */
  | 'no_build_number'
  /** Its build number is below the one running, or below one activated in a region's store. */
  | 'rollback'
  /** Its build number is the one running (or recorded) but its content is another. */
  | 'same_build_other_content'
  /** Its data (catalog, country → jurisdiction map) is not usable. */
  | 'bad_data'
  /** Its country → jurisdiction map places no country in a configured region's jurisdiction. */
  | 'missing_jurisdiction'
  /** The wasm failed to load. */
  | 'unloadable';

/** What the regions' stores recorded: the highest build activated, and its revisions. */
export interface ActivatedBuild {
  readonly build: number;
  readonly revisions: ReadonlySet<string>;
}

/**
 * Where activations and refusals are recorded outside the process (each region's store and
 * decision log), so a restarted gateway cannot go below a build any gateway ran, and auditors
 * see which bundle was in force when. Attached by the policy-activations module.
 */
export interface BundleHistory {
  /** The highest build activated in any region; `undefined` when no store answered. */
  highest(): Promise<ActivatedBuild | undefined>;
  activated(bundle: BundleIdentity, previous: BundleIdentity | undefined): Promise<void>;
  refused(
    candidate: Partial<BundleIdentity> & { readonly digest: string },
    reason: BundleRefusal,
    detail: string,
    running: BundleIdentity | undefined,
  ): Promise<void>;
}
