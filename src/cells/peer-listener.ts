import { Logger } from '@nestjs/common';
import { once } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { CellConfig } from '../platform/config/gateway-config.js';
import { regionOfCertificate } from './cell-identity.js';
import { CellTlsWatcher, loadCellTls, type CellTlsMaterial } from './cell-tls.js';

type Handler = (request: IncomingMessage, response: ServerResponse) => void;

/**
 * The cell's second listener: the same application, served over mutual TLS on the peer port,
 * for calls other cells forward. The TLS handshake already refuses a client without a
 * certificate from the cells' CA (and plain HTTP); which region a certificate names, and
 * whether that region is a peer, is checked per request (`identifyPeerCalls`).
 */
export class PeerListener {
  private server: Server | undefined;
  private readonly peerSockets = new WeakSet<Socket>();

  private readonly material: CellTlsMaterial;
  private watcher: CellTlsWatcher | undefined;

  /** {@link ConfigError} when the cell's certificate does not check out (see `loadCellTls`). */
  constructor(
    private readonly cell: CellConfig,
    private readonly host: string,
    private readonly localRegions: readonly string[],
  ) {
    this.material = loadCellTls(cell, localRegions);
  }

  /** Serves `handler` (the application's request handler) on the peer port too. */
  attach(handler: Handler): void {
    const { cert, key, ca } = this.material;
    const server = createServer(
      {
        cert,
        key,
        ca,
        requestCert: true,
        rejectUnauthorized: true,
        minVersion: 'TLSv1.3',
      },
      handler,
    );
    // Peers keep connections open between forwarded calls; outlive their idle sockets.
    server.keepAliveTimeout = 65_000;
    server.on('secureConnection', (socket: TLSSocket) => this.peerSockets.add(socket));
    this.server = server;
    // A renewed certificate (or CA bundle) is served to new connections without a restart.
    const logger = new Logger('Cells');
    this.watcher = new CellTlsWatcher(
      this.cell,
      this.localRegions,
      this.material,
      (next) => {
        server.setSecureContext({ cert: next.cert, key: next.key, ca: next.ca });
        logger.log({ message: 'peer port certificate reloaded', notAfter: next.notAfter });
      },
      (problem) => {
        logger.warn({ message: 'cell certificate files not reloaded', problem });
      },
    );
  }

  /** Whether a request arrived on the peer port (over a verified TLS connection). */
  isPeerRequest(request: IncomingMessage): boolean {
    return this.peerSockets.has(request.socket);
  }

  /** The region the peer's certificate names, when the connection is verified. */
  peerRegion(request: IncomingMessage): string | undefined {
    const socket = request.socket as TLSSocket;
    if (!this.peerSockets.has(socket) || !socket.authorized) return undefined;
    return regionOfCertificate(socket.getPeerCertificate());
  }

  async listen(): Promise<void> {
    if (this.server === undefined) return;
    this.server.listen({ host: this.host, port: this.cell.peerPort });
    await Promise.race([
      once(this.server, 'listening'),
      once(this.server, 'error').then(([error]) => {
        throw error as Error;
      }),
    ]);
  }

  get port(): number | undefined {
    const address = this.server?.address();
    return typeof address === 'object' && address !== null ? address.port : undefined;
  }

  async close(): Promise<void> {
    this.watcher?.stop();
    const server = this.server;
    if (server === undefined || !server.listening) return;
    const closed = once(server, 'close');
    server.close();
    server.closeIdleConnections();
    await closed;
  }
}
