import cluster from 'node:cluster';
import { AggregatorRegistry } from 'prom-client';
import type { GatewayMetrics } from './gateway-metrics.js';

const REQUEST = 'residency:metrics-request';
const RESPONSE = 'residency:metrics-response';

interface MetricsMessage {
  readonly type: string;
  readonly id: number;
  readonly text?: string;
  readonly error?: string;
}

/**
 * In the primary of a multi-process gateway: answers workers' requests for the metrics of the
 * whole gateway (every worker's, aggregated by prom-client), so `/metrics` on any worker tells
 * the same story a single process would.
 */
export function serveClusterMetrics(): void {
  const aggregator = new AggregatorRegistry();
  cluster.on('message', (worker, message: MetricsMessage | undefined) => {
    if (message?.type !== REQUEST) return;
    aggregator.clusterMetrics().then(
      (text) => worker.send({ type: RESPONSE, id: message.id, text }),
      (error: unknown) => worker.send({ type: RESPONSE, id: message.id, error: String(error) }),
    );
  });
}

let nextId = 0;
const waiting = new Map<number, (message: MetricsMessage) => void>();
let listening = false;

/** Makes this worker's registry part of the primary's aggregate (call once per worker). */
export function joinClusterMetrics(metrics: GatewayMetrics): void {
  if (!cluster.isWorker) return;
  AggregatorRegistry.setRegistries([metrics.registry]);
  new AggregatorRegistry(); // installs prom-client's worker-side responder
  if (listening) return;
  listening = true;
  process.on('message', (message: MetricsMessage | undefined) => {
    if (message?.type !== RESPONSE) return;
    waiting.get(message.id)?.(message);
    waiting.delete(message.id);
  });
}

/** The Prometheus text: the whole cluster's in a worker, this process's otherwise. */
export async function metricsText(metrics: GatewayMetrics): Promise<string> {
  if (!cluster.isWorker || process.send === undefined) return metrics.registry.metrics();
  const id = nextId++;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      waiting.delete(id);
      reject(new Error('the primary did not answer with metrics'));
    }, 3000);
    waiting.set(id, (message) => {
      clearTimeout(timer);
      if (message.text !== undefined) resolve(message.text);
      else reject(new Error(message.error ?? 'no metrics'));
    });
    process.send?.({ type: REQUEST, id });
  });
}
