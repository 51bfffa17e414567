import { once } from 'node:events';
import { Agent, createServer, request, type IncomingMessage, type Server } from 'node:http';

/**
 * The local stack's single entry URL: a plain reverse proxy in front of the cells that sends
 * each request to the cell of the region its caller runs in (the token's `region` claim, read
 * but not verified — the cell verifies it), as a service would call the gateway in its own
 * region; requests without a token go to the first cell. Convenience for development only:
 * in production each region's services call their own cell's load balancer.
 */
export class EntryProxy {
  private constructor(private readonly server: Server) {}

  static async start(
    host: string,
    port: number,
    cells: ReadonlyMap<string, string>,
    fallback: string,
  ): Promise<EntryProxy> {
    const agent = new Agent({ keepAlive: true, maxSockets: 64 });
    const server = createServer((incoming, outgoing) => {
      const target = new URL(cells.get(callerRegion(incoming) ?? '') ?? fallback);
      const upstream = request(
        {
          agent,
          hostname: target.hostname,
          port: target.port,
          method: incoming.method,
          path: incoming.url,
          headers: incoming.headers,
        },
        (answer) => {
          outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(outgoing);
        },
      );
      upstream.on('error', () => {
        if (!outgoing.headersSent) {
          outgoing.writeHead(502, { 'content-type': 'application/problem+json' });
        }
        outgoing.end(
          JSON.stringify({
            type: 'urn:residency-gateway:problem:cell_unreachable',
            title: 'Cell unreachable',
            status: 502,
            code: 'cell_unreachable',
            detail: `The local entry proxy could not reach ${target.host}.`,
          }),
        );
      });
      incoming.pipe(upstream);
    });
    server.listen({ host, port });
    await once(server, 'listening');
    return new EntryProxy(server);
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

/** The `region` claim of a bearer token, unverified (only used to pick a cell). */
function callerRegion(incoming: IncomingMessage): string | undefined {
  const token = /^Bearer\s+(\S+)$/i.exec(incoming.headers.authorization ?? '')?.[1];
  const payload = token?.split('.')[1];
  if (payload === undefined) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as unknown;
    const region = (claims as { region?: unknown } | null)?.region;
    return typeof region === 'string' ? region : undefined;
  } catch {
    return undefined;
  }
}
