import { createHash, randomBytes } from 'node:crypto';
import { createServer, type Server, type ServerResponse } from 'node:http';

/** `pass`: serves the bundle; `hang`: accepts and never answers; `garbage`: serves junk. */
export type BundleServerMode = 'pass' | 'hang' | 'garbage';

/**
 * A policy bundle server on loopback (what a gateway polls with If-None-Match), which a fault
 * run can make hang or serve something that is not a bundle, to show that the bundle in force
 * keeps deciding whatever the source does.
 */
interface ServerState {
  mode: BundleServerMode;
  readonly held: Set<ServerResponse>;
}

export class BundleServer {
  private constructor(
    private readonly server: Server,
    private readonly state: ServerState,
    readonly url: string,
  ) {}

  static async start(bundle: Buffer): Promise<BundleServer> {
    const etag = `"${createHash('sha256').update(bundle).digest('hex').slice(0, 32)}"`;
    const state: ServerState = { mode: 'pass', held: new Set() };
    const server = createServer((request, response) => {
      const { mode } = state;
      if (mode === 'hang') {
        state.held.add(response);
        return;
      }
      if (mode === 'garbage') {
        const junk = randomBytes(4096);
        response.writeHead(200, { etag: `"junk-${junk.toString('hex', 0, 8)}"` });
        response.end(junk);
        return;
      }
      if (request.headers['if-none-match'] === etag) {
        response.writeHead(304, { etag });
        response.end();
        return;
      }
      response.writeHead(200, { etag, 'content-type': 'application/gzip' });
      response.end(bundle);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('no bundle server port');
    return new BundleServer(
      server,
      state,
      `http://127.0.0.1:${String(address.port)}/bundle.tar.gz`,
    );
  }

  async set(mode: BundleServerMode): Promise<void> {
    this.state.mode = mode;
    if (mode !== 'hang') {
      for (const response of this.state.held) response.destroy();
      this.state.held.clear();
    }
    return Promise.resolve();
  }

  async close(): Promise<void> {
    await this.set('pass');
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => {
      this.server.close(() => {
        resolve();
      });
    });
  }
}
