import { Logger } from '@nestjs/common';
import { Agent, request as httpsRequest } from 'node:https';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { PeerCertificate } from 'node:tls';
import type { CellConfig, GatewayConfig, PeerConfig } from '../platform/config/gateway-config.js';
import type { GatewayMetrics } from '../platform/metrics/gateway-metrics.js';
import {
  BreakerOpenError,
  meteredBreaker,
  type BreakerState,
  type CircuitBreaker,
} from '../platform/resilience/circuit-breaker.js';
import { RequestTimeoutError } from '../platform/errors/domain-error.js';
import { withDeadline } from '../platform/resilience/deadline.js';
import { regionOfCertificate } from './cell-identity.js';
import { CellTlsWatcher, loadCellTls, type CellTlsMaterial } from './cell-tls.js';
import { PeerOutcomeUnknownError, PeerUnavailableError } from './peer.errors.js';

/** Milliseconds the forwarding cell will wait: the home cell's request budget is at most this. */
export const BUDGET_HEADER = 'x-residency-budget-ms';

/** One HTTP call to a peer cell, as this cell forwards it. */
export interface PeerCall {
  readonly method: string;
  /** Path and query, e.g. `/v1/subjects/s1.us-east-1.…/records/profile/main?fields=a`. */
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: Buffer;
  /** Changes nothing there (GET, a query's part): a lost answer leaves no doubt to report. */
  readonly readOnly?: boolean;
}

/** What the peer answered: status and headers at once, the body as it streams. */
export interface PeerAnswer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: IncomingMessage;
}

/** What readiness reports of a peer cell. */
export interface PeerProbe {
  readonly region: string;
  readonly jurisdiction: string;
  readonly reachable: boolean;
  readonly breaker: BreakerState;
  readonly latencyMs: number;
}

interface PeerConnection {
  readonly peer: PeerConfig;
  readonly url: URL;
  /** Replaced when the cell's certificate is renewed. */
  agent: Agent;
  readonly breaker: CircuitBreaker;
}

/**
 * Calls peer cells over mutual TLS: this cell's certificate as client, only certificates that
 * chain to the cells' CA *and* name the peer's region accepted from the other side (a valid
 * certificate of another cell is not that peer). Keep-alive connections per peer, so a hop
 * costs a request on an open TLS connection; a breaker per peer; every call bounded by the
 * peer timeout (or the caller's shorter signal). Never retries: a forwarded write is sent once.
 */
export class PeerClient {
  private readonly connections = new Map<string, PeerConnection>();
  private readonly timeoutMs: number;

  private readonly watcher: CellTlsWatcher | undefined;

  /** A client for the peers of `config` (none in the single-process topology). */
  constructor(
    config: Pick<GatewayConfig, 'peers' | 'cell' | 'breakers' | 'regions'>,
    private readonly metrics: GatewayMetrics,
  ) {
    const cell = config.cell;
    this.timeoutMs = cell?.peerTimeoutMs ?? 0;
    if (cell === undefined) return;
    const localRegions = config.regions.map((region) => region.id);
    const material = loadCellTls(cell, localRegions);
    metrics.cellCertificateNotAfter.set(material.notAfter.getTime() / 1000);
    for (const peer of config.peers) {
      this.connections.set(peer.id, {
        peer,
        url: new URL(peer.gatewayUrl),
        agent: peerAgent(peer, cell, material),
        breaker: meteredBreaker('peer', peer.id, config.breakers, metrics),
      });
    }
    // A renewed certificate is used for new connections; the old ones finish and are closed.
    const logger = new Logger('Cells');
    this.watcher = new CellTlsWatcher(
      cell,
      localRegions,
      material,
      (next) => {
        metrics.cellCertificateNotAfter.set(next.notAfter.getTime() / 1000);
        for (const connection of this.connections.values()) {
          const old = connection.agent;
          connection.agent = peerAgent(connection.peer, cell, next);
          setTimeout(() => {
            old.destroy();
          }, 60_000).unref();
        }
        logger.log({ message: 'peer client certificate reloaded', notAfter: next.notAfter });
      },
      (problem) => {
        logger.warn({ message: 'cell certificate files not reloaded', problem });
      },
    );
  }

  /**
   * Sends `call` to the cell of `region`. Resolves when its status and headers arrive;
   * {@link PeerUnavailableError} when it cannot be reached or does not answer within the peer
   * timeout or before `limits.deadline` (the request's, `performance.now()` clock);
   * `limits.signal` (a query's region timeout) aborts it with its own reason.
   */
  async send(
    region: string,
    call: PeerCall,
    limits: { readonly signal?: AbortSignal; readonly deadline?: number } = {},
  ): Promise<PeerAnswer> {
    const { signal } = limits;
    const connection = this.connections.get(region);
    if (connection === undefined) throw new PeerUnavailableError(region);
    const timeoutMs = Math.min(
      this.timeoutMs,
      (limits.deadline ?? Number.POSITIVE_INFINITY) - performance.now(),
    );
    if (timeoutMs <= 0) throw new RequestTimeoutError();
    const started = performance.now();
    const progress = { sent: false };
    try {
      const answer = await connection.breaker.run(
        () =>
          withDeadline(`peer:${region}`, timeoutMs, (deadline) =>
            this.exchange(
              connection,
              // The home cell gets no more time than is left here (it stops its work then).
              {
                ...call,
                headers: { ...call.headers, [BUDGET_HEADER]: String(Math.floor(timeoutMs)) },
              },
              signal === undefined ? deadline : AbortSignal.any([deadline, signal]),
              () => {
                progress.sent = true;
              },
            ),
          ),
        // Anything but an answer (refused, reset, TLS refused, too slow) counts against it;
        // a caller giving up sooner (a query's region timeout) says nothing about the peer.
        () => signal?.aborted !== true,
      );
      this.metrics.peerCalls.inc({ region, outcome: 'answered' });
      this.metrics.peerDuration.observe({ region }, (performance.now() - started) / 1000);
      return answer;
    } catch (error) {
      this.metrics.peerCalls.inc({ region, outcome: 'unavailable' });
      if (signal?.aborted === true && !(error instanceof BreakerOpenError)) throw signal.reason;
      throw progress.sent && call.method !== 'GET' && call.readOnly !== true
        ? new PeerOutcomeUnknownError(region, error)
        : new PeerUnavailableError(region, error);
    }
  }

  private exchange(
    connection: PeerConnection,
    call: PeerCall,
    signal: AbortSignal,
    onSent: () => void,
  ): Promise<PeerAnswer> {
    return new Promise<PeerAnswer>((resolve, reject) => {
      const headers: Record<string, string> = { ...call.headers };
      if (call.body !== undefined) headers['content-length'] = String(call.body.length);
      const outgoing = httpsRequest(
        {
          agent: connection.agent,
          protocol: 'https:',
          hostname: connection.url.hostname,
          port: connection.url.port === '' ? 443 : Number(connection.url.port),
          method: call.method,
          path: call.path,
          headers,
          signal,
        },
        (incoming) => {
          resolve({
            status: incoming.statusCode ?? 502,
            headers: incoming.headers,
            body: incoming,
          });
        },
      );
      // A peer that goes quiet mid-answer (after its headers) is cut off too: the socket may
      // not sit idle longer than the call's time.
      outgoing.setTimeout(this.timeoutMs, () => {
        outgoing.destroy(new Error('the peer went quiet'));
      });
      outgoing.on('error', (error) => {
        reject(signal.aborted ? (signal.reason as Error) : error);
      });
      outgoing.on('finish', onSent);
      outgoing.end(call.body);
    });
  }

  /**
   * Asks every peer cell whether it is alive (`GET /healthz` on its peer port, within
   * `timeoutMs`), without going through or counting against its breaker.
   */
  async probe(timeoutMs: number): Promise<PeerProbe[]> {
    return Promise.all(
      [...this.connections.values()].map(async (connection) => {
        const started = performance.now();
        let reachable = true;
        try {
          await withDeadline(`peer:${connection.peer.id}`, timeoutMs, async (signal) => {
            const answer = await this.exchange(
              connection,
              { method: 'GET', path: '/healthz', headers: {} },
              signal,
              () => undefined,
            );
            answer.body.resume();
            if (answer.status !== 200) throw new Error(`healthz answered ${String(answer.status)}`);
          });
        } catch {
          reachable = false;
        }
        return {
          region: connection.peer.id,
          jurisdiction: connection.peer.jurisdiction,
          reachable,
          breaker: connection.breaker.state,
          latencyMs: Math.round((performance.now() - started) * 10) / 10,
        };
      }),
    );
  }

  /** Closes every kept-alive connection (called by Nest on shutdown). */
  onApplicationShutdown(): void {
    this.watcher?.stop();
    for (const { agent } of this.connections.values()) agent.destroy();
  }
}

/** Keep-alive TLS connections to one peer, as this cell, accepting only that peer's certificate. */
function peerAgent(peer: PeerConfig, cell: CellConfig, material: CellTlsMaterial): Agent {
  return new Agent({
    cert: material.cert,
    key: material.key,
    ca: material.ca,
    keepAlive: true,
    maxSockets: cell.peerConnections,
    maxFreeSockets: cell.peerConnections,
    minVersion: 'TLSv1.3',
    checkServerIdentity: (_host: string, certificate: PeerCertificate) =>
      regionOfCertificate(certificate) === peer.id
        ? undefined
        : new Error(`the certificate presented does not name cell ${peer.id}`),
  });
}
