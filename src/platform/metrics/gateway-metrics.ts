import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

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

  readonly rateLimited = new Counter({
    name: 'gateway_rate_limited_total',
    help: 'Requests refused with 429 (before any decision or store access), by route pattern and caller kind (service or anonymous).',
    labelNames: ['route', 'caller'] as const,
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

  readonly auditIntegrated = new Counter({
    name: 'gateway_audit_integrated_total',
    help: 'Decision-log entries given a leaf index and a signed checkpoint, by region.',
    labelNames: ['region'] as const,
    registers: [this.registry],
  });

  readonly auditTreeSize = new Gauge({
    name: 'gateway_audit_tree_size',
    help: 'Size of the region’s decision-log Merkle tree, as last signed by this instance.',
    labelNames: ['region'] as const,
    registers: [this.registry],
  });

  readonly auditIntegrationDelay = new Histogram({
    name: 'gateway_audit_integration_delay_seconds',
    help: 'Commit of an access → its entry in a signed checkpoint, by region.',
    labelNames: ['region'] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 0.75, 1, 2, 5, 10, 30],
    registers: [this.registry],
  });

  readonly policyBundleRefusals = new Counter({
    name: 'gateway_policy_bundle_refusals_total',
    help: 'Policy bundles refused (the running one kept serving), by reason: rollback, same_build_other_content, bad_signature, bad_data, missing_jurisdiction, ...',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  readonly policyBundleBuild = new Gauge({
    name: 'gateway_policy_bundle_build',
    help: 'Signed build number of the policy bundle in force (0 while none is).',
    registers: [this.registry],
  });

  readonly breakerState = new Gauge({
    name: 'gateway_circuit_breaker_state',
    help: 'Circuit breaker per dependency (kms, store, peer) per region: 0 closed, 1 half open, 2 open.',
    labelNames: ['dependency', 'region'] as const,
    registers: [this.registry],
  });

  readonly breakerTransitions = new Counter({
    name: 'gateway_circuit_breaker_transitions_total',
    help: 'Circuit breaker state changes per dependency per region, by the state entered.',
    labelNames: ['dependency', 'region', 'to'] as const,
    registers: [this.registry],
  });

  readonly regionState = new Gauge({
    name: 'gateway_region_state',
    help: 'Each region as the last readiness probe saw it: 1 for its current state (ok, degraded, unavailable), 0 for the others.',
    labelNames: ['region', 'state'] as const,
    registers: [this.registry],
  });

  readonly peerCalls = new Counter({
    name: 'gateway_peer_calls_total',
    help: 'Calls forwarded to peer cells, by peer region and outcome (answered, unavailable).',
    labelNames: ['region', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly peerDuration = new Histogram({
    name: 'gateway_peer_call_duration_seconds',
    help: 'Time until a peer cell answered a forwarded call (response headers), by peer region.',
    labelNames: ['region'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });

  readonly cellCertificateNotAfter = new Gauge({
    name: 'gateway_cell_certificate_not_after_seconds',
    help: 'When the cell certificate in use expires (Unix time); alert well before it (renewals are reloaded without a restart).',
    registers: [this.registry],
  });

  readonly peerRefused = new Counter({
    name: 'gateway_peer_refused_total',
    help: 'Calls on the peer port refused before any decision, by reason code.',
    labelNames: ['code'] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'gateway_' });
  }
}
