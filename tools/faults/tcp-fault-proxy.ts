import { createServer, connect, type Server, type Socket } from 'node:net';

/**
 * How the proxy treats traffic:
 * - `pass`: forwards both ways;
 * - `refuse`: nothing listens (connects fail with ECONNREFUSED) and open connections are reset —
 *   a dead process;
 * - `hang`: accepts connections and never answers, and open connections go silent — a frozen
 *   process or a network partition;
 * - `slow`: forwards, each chunk held back by `delayMs` — an overloaded dependency.
 */
export type FaultMode = 'pass' | 'refuse' | 'hang' | 'slow';

interface Pair {
  readonly client: Socket;
  readonly upstream: Socket;
}

/**
 * A TCP proxy on loopback between the gateway and one dependency (a KMS endpoint, a PostgreSQL
 * server), so a fault test can refuse, blackhole or slow that dependency alone while every other
 * region's traffic is untouched. Real sockets, real timeouts: nothing in the gateway is mocked.
 */
export class TcpFaultProxy {
  private server: Server | undefined;
  private readonly pairs = new Set<Pair>();
  private currentMode: FaultMode = 'pass';
  private delayMs = 0;
  /** What a `hang` held back, replayed in order when it heals. */
  private held: (() => void)[] = [];

  private listenPort = 0;

  private constructor(private readonly target: { readonly host: string; readonly port: number }) {}

  /** Starts a proxy to `host:port` on a free loopback port. */
  static async start(target: {
    readonly host: string;
    readonly port: number;
  }): Promise<TcpFaultProxy> {
    const proxy = new TcpFaultProxy(target);
    proxy.listenPort = await proxy.listen(0);
    return proxy;
  }

  get port(): number {
    return this.listenPort;
  }

  get mode(): FaultMode {
    return this.currentMode;
  }

  /** Rewrites a URL's host and port to go through this proxy. */
  route(url: string): string {
    const routed = new URL(url);
    routed.hostname = '127.0.0.1';
    routed.port = String(this.port);
    const text = routed.toString();
    return text.endsWith('/') && !url.endsWith('/') ? text.slice(0, -1) : text;
  }

  /** Switches the fault; `delayMs` is the hold-back per chunk in `slow`. */
  async set(mode: FaultMode, delayMs = 0): Promise<void> {
    const previous = this.currentMode;
    this.currentMode = mode;
    this.delayMs = delayMs;
    if (mode === 'refuse') {
      this.held = [];
      for (const pair of this.pairs) {
        pair.client.resetAndDestroy();
        pair.upstream.destroy();
      }
      this.pairs.clear();
      await this.closeServer();
      return;
    }
    if (previous === 'refuse') await this.listen(this.port);
    if (mode === 'hang') {
      for (const pair of this.pairs) {
        pair.client.pause();
        pair.upstream.pause();
      }
      return;
    }
    const held = this.held;
    this.held = [];
    for (const release of held) release();
    for (const pair of this.pairs) {
      pair.client.resume();
      pair.upstream.resume();
    }
  }

  async close(): Promise<void> {
    for (const pair of this.pairs) {
      pair.client.destroy();
      pair.upstream.destroy();
    }
    this.pairs.clear();
    await this.closeServer();
  }

  private accept(client: Socket): void {
    client.on('error', () => undefined);
    const upstream = connect(this.target.port, this.target.host);
    const pair = { client, upstream };
    this.pairs.add(pair);
    upstream.on('error', () => client.destroy());
    const drop = (): void => {
      this.pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('close', drop);
    upstream.on('close', drop);
    upstream.on('connect', () => {
      if (this.currentMode === 'hang') upstream.pause();
    });
    this.forward(client, upstream);
    this.forward(upstream, client);
  }

  private forward(from: Socket, to: Socket): void {
    from.on('data', (chunk: Buffer) => {
      if (this.currentMode === 'hang') {
        // Held, not dropped (as a frozen process's socket buffers would): after healing the
        // stream goes on where it stopped.
        from.pause();
        this.held.push(() => {
          if (!to.destroyed) to.write(chunk);
          from.resume();
        });
        return;
      }
      if (this.currentMode === 'slow' && this.delayMs > 0) {
        from.pause();
        setTimeout(() => {
          if (!to.destroyed) to.write(chunk);
          if (this.currentMode === 'hang') this.held.push(() => from.resume());
          else from.resume();
        }, this.delayMs);
        return;
      }
      to.write(chunk);
    });
  }

  private async listen(port: number): Promise<number> {
    const server = createServer((socket) => {
      this.accept(socket);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: '127.0.0.1', port }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('no proxy port');
    return address.port;
  }

  private async closeServer(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server === undefined) return;
    await new Promise<void>((resolve) => {
      server.close(() => {
        resolve();
      });
    });
  }
}
