import 'reflect-metadata';
import cluster from 'node:cluster';
import { Logger } from '@nestjs/common';
import { createGatewayApp } from './app.factory.js';
import { loadGatewayConfig } from './platform/config/config.loader.js';
import { ConfigError } from './platform/config/config.error.js';
import type { GatewayConfig } from './platform/config/gateway-config.js';
import { serveClusterMetrics } from './platform/metrics/cluster-metrics.js';
import { StoreBootError } from './regions/region-router.js';

/**
 * Boots the gateway from the environment. With GATEWAY_WORKERS > 1 (the default on a machine
 * with several cores) this process forks that many workers sharing the port (node:cluster) and
 * supervises them; each worker is a whole gateway. Configuration and store problems exit
 * non-zero, listed.
 */
async function main(): Promise<void> {
  const config = loadGatewayConfig();
  if (config.workers > 1 && cluster.isPrimary) {
    supervise(config);
    return;
  }
  const instance: GatewayConfig = cluster.isWorker
    ? { ...config, instanceId: `${config.instanceId}-w${String(cluster.worker?.id ?? 0)}` }
    : config;
  const app = await createGatewayApp(instance);
  await app.listen({ host: config.host, port: config.port });
  new Logger('Gateway').log({
    message: 'listening',
    url: await app.getUrl(),
    regions: config.regions.map((region) => region.id),
  });
}

/**
 * The primary of a multi-process gateway: forks the workers, replaces one that dies, and on
 * SIGTERM/SIGINT passes the signal on and exits once every worker has drained and stopped.
 */
function supervise(config: GatewayConfig): void {
  const logger = new Logger('Gateway');
  let stopping = false;
  let listening = false;
  const restarts: number[] = [];
  const alive = (): number => Object.keys(cluster.workers ?? {}).length;
  cluster.on('listening', () => {
    listening = true;
  });
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) {
      if (alive() === 0) process.exit(typeof process.exitCode === 'number' ? process.exitCode : 0);
      return;
    }
    // A worker that dies before any served is a boot problem (it printed why): stop them all.
    // Later deaths are replaced, unless they come so fast that something is plainly broken.
    const now = Date.now();
    restarts.push(now);
    while ((restarts[0] ?? now) < now - 60_000) restarts.shift();
    if (!listening || restarts.length > 10) {
      stopping = true;
      for (const other of Object.values(cluster.workers ?? {})) other?.process.kill('SIGTERM');
      // A worker killed by a signal has no code (null, whatever the typings say).
      const status = (code as number | null) ?? 1;
      process.exitCode = status;
      if (alive() === 0) process.exit(status);
      return;
    }
    logger.warn({ message: 'a worker exited; starting another', worker: worker.id, code, signal });
    cluster.fork();
  });
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGTERM');
    if (alive() === 0) process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  serveClusterMetrics();
  for (let i = 0; i < config.workers; i++) cluster.fork();
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError || error instanceof StoreBootError) {
    process.stderr.write(`${error.message}\n`);
  } else {
    process.stderr.write(
      `gateway failed to start: ${error instanceof Error ? error.name : 'unknown error'}\n`,
    );
  }
  process.exit(1);
});
