/** An API error as the gateway sends it (RFC 9457 problem+json with a stable code). */
export class ApiProblem extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly title: string,
    readonly detail: string | undefined,
    readonly reasons: readonly string[] = [],
  ) {
    super(`${title} (${code})`);
  }

  static async from(response: Response): Promise<ApiProblem> {
    let body: Record<string, unknown> = {};
    try {
      body = (await response.json()) as Record<string, unknown>;
    } catch {
      // not JSON: keep the status alone
    }
    const text = (key: string): string | undefined =>
      typeof body[key] === 'string' ? body[key] : undefined;
    const reasons = Array.isArray(body['reasons'])
      ? body['reasons'].filter((r): r is string => typeof r === 'string')
      : [];
    return new ApiProblem(
      response.status,
      text('code') ?? `http_${String(response.status)}`,
      text('title') ?? response.statusText,
      text('detail'),
      reasons,
    );
  }
}

/** What a policy reason means for the person who met it (the code is shown too). */
const REASONS: Readonly<Record<string, string>> = {
  two_person_rule:
    'A legal request needs a second person: neither its opener nor its requester may approve it.',
  audit_outside_jurisdiction:
    'This log is about data of another jurisdiction; auditors read the logs of their own.',
  case_outside_jurisdiction: 'This case belongs to another jurisdiction.',
  role_required: 'Your role does not allow this.',
  auditor_role_required: 'Only auditors may do this.',
  not_approvable: 'Only an open legal request can be approved.',
};

export function describe(error: unknown): string {
  if (error instanceof ApiProblem) {
    const known = error.reasons.map((r) => REASONS[r]).filter((t) => t !== undefined);
    if (known.length > 0) return `${known.join(' ')} (${error.code}: ${error.reasons.join(', ')})`;
    const reasons =
      error.reasons.length > 0 && error.detail === undefined
        ? ` Reasons: ${error.reasons.join(', ')}.`
        : '';
    return `${error.title} — ${error.code}.${error.detail === undefined ? '' : ` ${error.detail}`}${reasons}`;
  }
  return error instanceof Error ? error.message : String(error);
}
