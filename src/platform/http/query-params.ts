import { InvalidRequestError } from '../errors/domain-error.js';

/** Query-string parsing for the API's list routes: each bad value is a 400 naming its parameter. */

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
