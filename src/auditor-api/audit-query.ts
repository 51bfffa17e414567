import type { DecisionFilter } from '../audit-log/audit-log.reader.js';
import { InvalidRequestError } from '../platform/errors/domain-error.js';

/** Query-string parsing for the auditor API: each bad value is a 400 naming its parameter. */

export function required(name: string, value: string | undefined): string {
  if (value === undefined || value === '') throw new InvalidRequestError(`${name} is required.`);
  return value;
}

export function time(name: string, value: string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const parsed = new Date(value);
  if (Number.isNaN(parsed.getTime()))
    throw new InvalidRequestError(`${name} must be an ISO 8601 time.`);
  return parsed;
}

export function flag(name: string, value: string | undefined): boolean | undefined {
  if (value === undefined) return undefined;
  if (value !== 'true' && value !== 'false')
    throw new InvalidRequestError(`${name} must be true or false.`);
  return value === 'true';
}

export function wholeNumber(
  name: string,
  value: string | undefined,
  bounds: { min: number; max?: number; fallback?: number },
): number {
  if (value === undefined) {
    if (bounds.fallback !== undefined) return bounds.fallback;
    throw new InvalidRequestError(`${name} is required.`);
  }
  const parsed = /^\d{1,15}$/.test(value) ? Number(value) : Number.NaN;
  if (!(parsed >= bounds.min) || (bounds.max !== undefined && parsed > bounds.max)) {
    throw new InvalidRequestError(
      `${name} must be a whole number from ${String(bounds.min)}${bounds.max === undefined ? '' : ` to ${String(bounds.max)}`}.`,
    );
  }
  return parsed;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function decisionId(value: string | undefined): string {
  const id = required('decisionId', value);
  if (!UUID.test(id)) throw new InvalidRequestError('decisionId must be a decision id (a UUID).');
  return id;
}

/** The search filters of `GET /v1/audit/decisions` (and the console). */
export function decisionFilter(query: Record<string, string | undefined>): DecisionFilter {
  const from = time('from', query['from']);
  const to = time('to', query['to']);
  const allowed = flag('allowed', query['allowed']);
  const breakGlass = flag('breakGlass', query['breakGlass']);
  const text = (name: string): Record<string, string> => {
    const value = query[name];
    if (value === undefined) return {};
    if (value.length > 200) throw new InvalidRequestError(`${name} is too long.`);
    return { [name]: value };
  };
  return {
    ...(from === undefined ? {} : { from }),
    ...(to === undefined ? {} : { to }),
    ...text('service'),
    ...text('subject'),
    ...text('action'),
    ...text('purpose'),
    ...text('bundleRevision'),
    ...text('callerJurisdiction'),
    ...(allowed === undefined ? {} : { allowed }),
    ...(breakGlass === undefined ? {} : { breakGlass }),
  };
}
