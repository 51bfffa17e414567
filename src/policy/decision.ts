import { DomainError } from '../platform/errors/domain-error.js';

export type FieldAction = 'allow' | 'redact' | 'pseudonymize';

/** What `residency/decision` returns. */
export interface PolicyResult {
  readonly allow: boolean;
  readonly reasons: readonly string[];
  readonly fields: Readonly<Record<string, FieldAction>>;
  readonly break_glass: boolean;
}

/** A decision as the gateway records it. */
export interface Decision extends PolicyResult {
  readonly decisionId: string;
  readonly revision: string;
  /** The build number of the bundle that decided. */
  readonly build: number;
  readonly input: PolicyInput;
}

export interface PolicyCase {
  readonly id: string;
  readonly kind: string;
  readonly status: string;
  /** Whether the case names the subject of this request. */
  readonly names_subject: boolean;
  readonly jurisdiction: string;
  readonly opened_by: string;
  /** Legal requests: the service that may use the approval, from which jurisdiction, until when. */
  readonly requester?: string | null;
  readonly requester_jurisdiction?: string | null;
  readonly expires_at?: string | null;
}

/** A bundle as the log names it (a refused one may be known by its archive digest only). */
export interface LoggedBundle {
  readonly revision?: string;
  readonly build?: number;
  readonly commit?: string | null;
  readonly digest: string;
}

/** Everything the policy needs, resolved before evaluation (DESIGN §7). */
export interface PolicyInput {
  readonly caller: {
    service: string;
    region: string;
    jurisdiction: string;
    roles: readonly string[];
  };
  /**
   * The cell that forwarded the request, when one did: the answer passes through its
   * jurisdiction. Absent when the caller called the home cell (or the single-process gateway).
   */
  readonly via?: { region: string; jurisdiction: string };
  readonly action: string;
  readonly purpose: string | null;
  readonly case: PolicyCase | null;
  readonly resource: {
    readonly subject?: string;
    readonly homeRegion?: string;
    readonly jurisdiction?: string;
    readonly collection?: string;
    readonly fields?: readonly string[];
    /** Fields a query matches on. */
    readonly where?: readonly string[];
    /**
     * Only in the log's `policy.activate` / `policy.refuse` entries (never evaluated): the
     * bundle activated or refused, and the one it replaced or that kept serving.
     */
    readonly bundle?: LoggedBundle;
    readonly running?: LoggedBundle | null;
  };
  readonly now: string;
}

/** The policy said no: 403 with its reason codes (not an error to log loudly). */
export class PolicyDeniedError extends DomainError {
  constructor(readonly decision: Pick<Decision, 'decisionId' | 'reasons'>) {
    super('policy_denied', 403, 'Denied by policy', {
      detail: `Denied: ${decision.reasons.join(', ')}.`,
      extensions: { reasons: [...decision.reasons], decisionId: decision.decisionId },
      logLevel: 'info',
    });
  }
}

/** No valid policy bundle, or evaluation failed: fail closed, 503, never an allow. */
export class PolicyUnavailableError extends DomainError {
  constructor(cause?: unknown) {
    super('policy_unavailable', 503, 'Policy unavailable', {
      detail: 'No valid policy is loaded; nothing is served until one is.',
      logLevel: 'error',
      cause,
    });
  }
}

const FIELD_ACTIONS = new Set(['allow', 'redact', 'pseudonymize']);

/** Checks the shape of what the policy returned; anything unexpected is a failure, not an allow. */
export function parsePolicyResult(value: unknown): PolicyResult {
  const result = value as Partial<PolicyResult> | null;
  if (
    result === null ||
    typeof result !== 'object' ||
    typeof result.allow !== 'boolean' ||
    typeof result.break_glass !== 'boolean' ||
    !Array.isArray(result.reasons) ||
    !result.reasons.every((r) => typeof r === 'string') ||
    typeof result.fields !== 'object' ||
    Array.isArray(result.fields) ||
    !Object.values(result.fields).every((action) => FIELD_ACTIONS.has(action))
  ) {
    throw new Error('the policy returned a malformed decision');
  }
  return result as PolicyResult;
}
