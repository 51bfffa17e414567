import pg from 'pg';

/** pg's error when a query outlives the client-side `query_timeout`. */
export const QUERY_READ_TIMEOUT = 'Query read timeout';

type QueryFunction = (...args: unknown[]) => unknown;

/**
 * A pg client that hangs up when a query outlives its client-side timeout. A store that is
 * frozen or cut off never enforces its own `statement_timeout`, so the client has to; and a
 * connection with a query still outstanding must not go back to the pool: the next request
 * would queue behind it, and a transaction whose COMMIT or ROLLBACK is stuck would stay open.
 * Closing the socket makes the pool discard the connection and the server roll back whatever
 * it had not committed.
 */
export class HangSafeClient extends pg.Client {
  override query(...args: unknown[]): never {
    const query = super.query.bind(this) as QueryFunction;
    const last = args.at(-1);
    if (typeof last === 'function') {
      const callback = last as (error: unknown, result: unknown) => void;
      args[args.length - 1] = (error: unknown, result: unknown): void => {
        if (isReadTimeout(error)) this.hangUp();
        callback(error, result);
      };
      return query(...args) as never;
    }
    const result = query(...args);
    if (!(result instanceof Promise)) return result as never;
    return result.catch((error: unknown) => {
      if (isReadTimeout(error)) this.hangUp();
      throw error;
    }) as never;
  }

  private hangUp(): void {
    (
      this as unknown as { connection?: { stream?: { destroy(): void } } }
    ).connection?.stream?.destroy();
  }
}

function isReadTimeout(error: unknown): boolean {
  return error instanceof Error && error.message === QUERY_READ_TIMEOUT;
}
