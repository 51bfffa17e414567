import { connect } from 'node:net';
import type { EntityManager } from 'typeorm';
import { DomainError } from '../platform/errors/domain-error.js';

/** A region's part of a query was given up (its time ran out); what it ran was cancelled. */
export class RegionQueryCancelledError extends DomainError {
  constructor(cause?: unknown) {
    super('region_timeout', 503, 'Region timed out', {
      detail: 'The region did not answer in time; its query was cancelled.',
      logLevel: 'info',
      cause,
    });
  }
}

/** What pg's client knows of its server session: where it is, and the key that cancels it. */
interface BackendSession {
  readonly host?: string;
  readonly port?: number;
  readonly processID?: number | null;
  readonly secretKey?: number | null;
}

const CANCEL_REQUEST_CODE = 80877102;
/** How long one cancel request may take; the server answers it at once. */
const CANCEL_TIMEOUT_MS = 2000;
/** A cancel that lands before the statement started is ignored: send it again this often. */
const CANCEL_RETRY_MS = 250;
const CANCEL_ATTEMPTS = 8;

/**
 * Sends PostgreSQL's CancelRequest for one session (what psql's Ctrl-C sends), on a connection
 * of its own: it needs no free connection of the pool (the pool may be exhausted by exactly the
 * statements to cancel) and no privilege. Resolves once the server has acted on it (it closes
 * the connection after signalling the backend), or gave up; never rejects.
 */
async function sendCancelRequest(session: BackendSession): Promise<void> {
  const { host, port, processID, secretKey } = session;
  if (typeof processID !== 'number' || typeof secretKey !== 'number' || port === undefined) return;
  const packet = Buffer.alloc(16);
  packet.writeInt32BE(16, 0);
  packet.writeInt32BE(CANCEL_REQUEST_CODE, 4);
  packet.writeInt32BE(processID, 8);
  packet.writeInt32BE(secretKey, 12);
  await new Promise<void>((resolve) => {
    const socket =
      host?.startsWith('/') === true
        ? connect(`${host}/.s.PGSQL.${String(port)}`)
        : connect(port, host ?? 'localhost');
    socket.setTimeout(CANCEL_TIMEOUT_MS, () => socket.destroy());
    socket.once('connect', () => socket.end(packet));
    socket.once('close', () => {
      resolve();
    });
    socket.on('error', () => undefined);
    socket.resume();
  });
}

/** Throws if `signal` has aborted (it may abort while a statement runs: read it each time). */
export function stopIfAborted(signal: AbortSignal | undefined, cause?: unknown): void {
  if (signal?.aborted === true) throw new RegionQueryCancelledError(cause);
}

/** Waits `ms`, or less if `until` resolves first. */
async function pause(ms: number, until: Promise<void>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([until, new Promise((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}

/**
 * Runs one statement that must stop in PostgreSQL when `signal` aborts, not merely be
 * abandoned by the gateway: on abort it is cancelled in the server, so it neither keeps
 * working (or waiting on a lock) nor holds its pooled connection. The connection goes back to
 * the pool only after the statement ended and the server took the cancel, so a late cancel
 * can never hit the next statement run on it. Without a signal it is a plain `manager.query`.
 */
export async function queryCancellably<T>(
  manager: EntityManager,
  sql: string,
  params: readonly unknown[],
  signal: AbortSignal | undefined,
): Promise<T> {
  if (signal === undefined) return manager.query<T>(sql, [...params]);
  stopIfAborted(signal);
  // Inside a transaction its own runner; otherwise a connection held for this statement.
  const runner = manager.queryRunner ?? manager.dataSource.createQueryRunner();
  const ownsRunner = manager.queryRunner === undefined;
  try {
    const session = (await runner.connect()) as BackendSession;
    // Given up while waiting for a connection (a busy pool): nothing is sent.
    stopIfAborted(signal);
    let settled = false;
    let markSettled = (): void => undefined;
    const settling = new Promise<void>((resolve) => (markSettled = resolve));
    let cancelling: Promise<void> | undefined;
    const onAbort = (): void => {
      cancelling = (async () => {
        for (let attempt = 0; attempt < CANCEL_ATTEMPTS && !settled; attempt++) {
          await sendCancelRequest(session);
          await pause(CANCEL_RETRY_MS, settling);
        }
      })();
    };
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      return (await runner.query(sql, [...params])) as T;
    } catch (error) {
      stopIfAborted(signal, error);
      throw error;
    } finally {
      settled = true;
      markSettled();
      signal.removeEventListener('abort', onAbort);
      await cancelling;
    }
  } finally {
    if (ownsRunner) await runner.release();
  }
}
