import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * The gateway's Prometheus metrics, on a registry of its own (so several gateways in one test
 * process do not collide). Labels carry routes, statuses, regions and operations only: never a
 * subject id, a record value or a key.
 */
export class GatewayMetrics {
  readonly registry = new Registry();

  readonly httpRequests = new Counter({
    name: 'gateway_http_requests_total',
    help: 'HTTP requests by method, route pattern and status code.',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });

  readonly httpDuration = new Histogram({
    name: 'gateway_http_request_duration_seconds',
    help: 'HTTP request latency by method and route pattern.',
    labelNames: ['method', 'route'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });

  readonly storeErrors = new Counter({
    name: 'gateway_store_errors_total',
    help: 'Errors talking to a regional store, by region and kind (unavailable or query).',
    labelNames: ['region', 'kind'] as const,
    registers: [this.registry],
  });

  readonly kmsCalls = new Counter({
    name: 'gateway_kms_calls_total',
    help: 'Calls to a regional KMS, by region and operation.',
    labelNames: ['region', 'operation'] as const,
    registers: [this.registry],
  });

  readonly kmsErrors = new Counter({
    name: 'gateway_kms_errors_total',
    help: 'Failed calls to a regional KMS, by region and operation.',
    labelNames: ['region', 'operation'] as const,
    registers: [this.registry],
  });

  readonly keyCacheLookups = new Counter({
    name: 'gateway_key_cache_lookups_total',
    help: 'Lookups in the unwrapped-key cache, by result (hit or miss).',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'gateway_' });
  }
}
