/**
 * Errors that mean the store could not be reached or went away, as opposed to a bug or a
 * constraint violation. Those become 503 for the region; everything else is a 500.
 */
const UNAVAILABLE_NODE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EPIPE',
]);

/** SQLSTATE classes 08 (connection exception) and 57 (operator intervention, e.g. shutdown). */
const UNAVAILABLE_SQLSTATE = /^(08|57)/;

export function isStoreUnavailable(error: unknown): boolean {
  for (let current: unknown = error; current instanceof Error; current = current.cause) {
    const code = (current as { code?: unknown }).code;
    if (
      typeof code === 'string' &&
      (UNAVAILABLE_NODE_CODES.has(code) || UNAVAILABLE_SQLSTATE.test(code))
    ) {
      return true;
    }
    const driverError = (current as { driverError?: unknown }).driverError;
    if (driverError !== undefined && driverError !== current && isStoreUnavailable(driverError))
      return true;
    if (
      /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Query read timeout/i.test(
        current.message,
      )
    ) {
      return true;
    }
  }
  return false;
}
