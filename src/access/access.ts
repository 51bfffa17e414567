import type { EntityManager } from 'typeorm';
import type { ResolvedCase } from '../cases/case-resolver.js';
import type { Decision, PolicyCase } from '../policy/decision.js';
import type { PolicySnapshot } from '../policy/policy-snapshot.js';

/** Actions the gateway asks the policy about (the `action` of the policy input). */
export type AccessAction =
  | 'read'
  | 'list'
  | 'write'
  | 'delete'
  | 'query'
  | 'subject.create'
  | 'subject.read'
  | 'subject.erase'
  | 'case.open'
  | 'case.read'
  | 'case.approve'
  | 'case.close'
  | 'case.list'
  | 'audit.read'
  | 'audit.cosign'
  | 'audit.review'
  | 'policy.read';

/**
 * Where the purpose of an access comes from: `required` (X-Purpose, or 400 `purpose_required`
 * before anything is decided), `write` (X-Purpose, service-delivery when absent), `none`.
 */
export type PurposeRule = 'required' | 'write' | 'none';

/**
 * Where the policy input's `case` comes from: the request's X-Case-Id, a case id the route
 * names, a case that does not exist yet (being opened), or none.
 */
export type CaseSource =
  | { readonly from: 'header' }
  | { readonly from: 'id'; readonly caseId: string }
  | { readonly from: 'proposed'; readonly case: PolicyCase };

/** What is decided: the resource of the policy input, and how purpose and case are found. */
export interface AccessDescription {
  readonly action: AccessAction;
  /** The region whose data is touched: its jurisdiction is the resource's; its log records it. */
  readonly region: string;
  /**
   * The subjects concerned: one decision each (a case naming several subjects is logged under
   * every one of them). Omitted for region-wide accesses (a query, the audit log).
   */
  readonly subjects?: readonly string[];
  readonly collection?: string;
  readonly fields?: readonly string[];
  /** Fields a query matches on. */
  readonly where?: readonly string[];
  readonly purpose: PurposeRule;
  readonly case?: CaseSource;
  /**
   * `read`: the work only reads. It runs without a transaction of its own, and its decision is
   * committed in a group commit with other reads' before the result is returned (fewer round
   * trips, one commit for many reads). Default `write`: the work and its decision commit in one
   * transaction.
   */
  readonly mode?: 'read' | 'write';
  /**
   * The bundle the service validated the request against (its catalog, its jurisdiction map):
   * the same one decides it, so a reload between the two cannot mix bundles. Default: the
   * bundle in force when the gate decides.
   */
  readonly policy?: Pick<PolicySnapshot, 'decide'>;
}

/** What the work of an allowed access gets. */
export interface AccessScope {
  /** The decision (the first one when several subjects were decided). */
  readonly decision: Decision;
  readonly decisions: readonly Decision[];
  /** The case as resolved for the decision, if the access named one. */
  readonly case: ResolvedCase | undefined;
}

/**
 * An access as a service describes it: what is decided, work to do before the region's
 * transaction (KMS calls, sealing: a failure there changes nothing), and the work inside it.
 */
export interface Access<T, P = undefined> extends AccessDescription {
  readonly prepare?: (scope: AccessScope) => Promise<P>;
  readonly work: (manager: EntityManager, scope: AccessScope, prepared: P) => Promise<T>;
  /**
   * Subjects whose data the work's result discloses without the access naming them (a query's
   * matches): the log entry names them, so an auditor searching for a subject finds it.
   */
  readonly disclosed?: (value: T) => readonly string[];
}

/** How an access ended: carried out (with its value), or denied (already logged). */
export type AccessOutcome<T> =
  | { readonly allowed: true; readonly value: T; readonly decision: Decision }
  | { readonly allowed: false; readonly decision: Decision };
