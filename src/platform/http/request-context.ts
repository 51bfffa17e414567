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
}
