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

/** The small explicit context passed from controllers to services (STYLE habit 4). */
export interface RequestContext {
  readonly requestId: string;
  readonly caller: Caller;
  /** `X-Purpose`, validated for shape (the policy decides whether it is known and granted). */
  readonly purpose: string | null;
  /** `X-Case-Id`, unparsed. */
  readonly caseId: string | null;
  /** Ids of the decisions taken for this request, sent back as `X-Decision-Id`. */
  readonly decisionIds: string[];
}
