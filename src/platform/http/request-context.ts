/** The authenticated internal service making a request (from its verified token). */
export interface Caller {
  /** Service id, the token's `sub`, e.g. `svc:feed`. */
  readonly service: string;
  /** Region the caller runs in; always a configured region. */
  readonly region: string;
  /** Jurisdiction of `region`. */
  readonly jurisdiction: string;
  readonly roles: readonly string[];
}

/**
 * The peer cell a request was forwarded by (DESIGN §4, Cells), from its verified mTLS
 * certificate: the answer travels back through it, so the policy considers where it goes.
 */
export interface Via {
  readonly region: string;
  readonly jurisdiction: string;
}

/** The small explicit context passed from controllers to services (STYLE habit 4). */
export interface RequestContext {
  readonly requestId: string;
  readonly caller: Caller;
  /** `X-Purpose`, validated for shape (the policy decides whether it is known and granted). */
  readonly purpose: string | null;
  /** `X-Case-Id`, unparsed. */
  readonly caseId: string | null;
  /** Set when another cell forwarded this request; null when the caller called this cell. */
  readonly via: Via | null;
  /**
   * When the request's budget (GATEWAY_REQUEST_TIMEOUT_MS from its arrival) runs out, on the
   * `performance.now()` clock: every dependency call gets at most what is left.
   */
  readonly deadline: number;
  /** The decisions taken for this request, reported in response headers. */
  readonly decisions: DecisionTrace;
}

/** Sent back as `X-Decision-Id` (every decision) and `X-Break-Glass: true` (if any was). */
export interface DecisionTrace {
  readonly ids: string[];
  breakGlass: boolean;
}
