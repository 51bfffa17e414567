import { readFileSync } from 'node:fs';
import { once } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { CellConfig } from '../platform/config/gateway-config.js';
import { X509Certificate } from 'node:crypto';
import { ConfigError } from '../platform/config/config.error.js';
import { regionOfCertificate } from './cell-identity.js';

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

  constructor(
    private readonly cell: CellConfig,
    private readonly host: string,
    localRegions: readonly string[],
  ) {
    const problem = certificateProblem(cell, localRegions);
    if (problem !== undefined) throw new ConfigError([problem]);
  }

  /** Serves `handler` (the application's request handler) on the peer port too. */
  attach(handler: Handler): void {
    const server = createServer(
      {
        cert: readFileSync(this.cell.certFile),
        key: readFileSync(this.cell.keyFile),
        ca: readFileSync(this.cell.caFile),
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
    const server = this.server;
    if (server === undefined || !server.listening) return;
    const closed = once(server, 'close');
    server.close();
    server.closeIdleConnections();
    await closed;
  }
}

/**
 * Checked at boot: the cell certificate names (exactly) a region this process serves, chains
 * to the cells' CA and is valid now — otherwise every peer would refuse it at the first call.
 */
function certificateProblem(cell: CellConfig, localRegions: readonly string[]): string | undefined {
  let certificate: X509Certificate;
  let ca: X509Certificate;
  try {
    certificate = new X509Certificate(readFileSync(cell.certFile));
    ca = new X509Certificate(readFileSync(cell.caFile));
  } catch {
    return 'GATEWAY_CELL_CERT_FILE / GATEWAY_CELL_CA_FILE: not a PEM certificate';
  }
  const named = regionOfCertificate({ subjectaltname: certificate.subjectAltName ?? '' });
  if (named === undefined || !localRegions.includes(named))
    return `GATEWAY_CELL_CERT_FILE names cell ${named ?? '(none)'}; this cell serves ${localRegions.join(', ')}`;
  if (!certificate.checkIssued(ca) || !certificate.verify(ca.publicKey))
    return 'GATEWAY_CELL_CERT_FILE is not issued by GATEWAY_CELL_CA_FILE';
  const now = Date.now();
  if (Date.parse(certificate.validFrom) > now || Date.parse(certificate.validTo) < now)
    return `GATEWAY_CELL_CERT_FILE is not valid now (valid ${certificate.validFrom} to ${certificate.validTo})`;
  return undefined;
}
