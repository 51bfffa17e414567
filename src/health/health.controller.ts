import {
  Controller,
  Get,
  Header,
  Inject,
  Res,
  type BeforeApplicationShutdown,
} from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { PublicRoute } from '../auth/public-route.decorator.js';
import { PeerClient, type PeerProbe } from '../cells/peer-client.js';
import { KmsRegistry } from '../keys/kms-registry.js';
import { metricsText } from '../platform/metrics/cluster-metrics.js';
import { GatewayMetrics } from '../platform/metrics/gateway-metrics.js';
import { GATEWAY_CONFIG } from '../platform/config/config.module.js';
import type { GatewayConfig } from '../platform/config/gateway-config.js';
import { PolicyService } from '../policy/policy.service.js';
import { RegionRouter, type RegionProbe } from '../regions/region-router.js';
import { ShutdownState } from './shutdown-state.js';

/** How long readiness waits for each store before calling it unavailable. */
const PROBE_TIMEOUT_MS = 1000;

const REGION_STATES = ['ok', 'degraded', 'unavailable'] as const;
type RegionState = (typeof REGION_STATES)[number];

interface PeerHealth {
  readonly region: string;
  readonly state: 'ok' | 'degraded';
  readonly dependency?: 'peer';
  readonly jurisdiction: string;
  readonly servedBy: 'peer';
  readonly peer: 'ok' | 'unreachable';
  readonly peerBreaker: string;
  readonly latencyMs: number;
}

interface RegionHealth {
  readonly region: string;
  readonly state: RegionState;
  readonly dependency?: 'store' | 'kms';
  readonly jurisdiction: string;
  readonly store: 'ok' | 'unavailable';
  readonly storeBreaker: string;
  readonly latencyMs: number;
  readonly kms: 'ok' | 'failing' | 'untested';
}

@ApiExcludeController()
@PublicRoute()
@Controller()
export class HealthController implements BeforeApplicationShutdown {
  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    private readonly shutdown: ShutdownState,
    private readonly router: RegionRouter,
    private readonly kms: KmsRegistry,
    private readonly policy: PolicyService,
    private readonly metrics: GatewayMetrics,
    private readonly peers: PeerClient,
  ) {}

  /** Liveness: the process serves HTTP. Deliberately checks no dependency. */
  @Get('healthz')
  healthz(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /**
   * Readiness: this process can serve — a verified policy bundle is loaded and at least one
   * region's store answers. One region's outage never takes the whole gateway out of rotation
   * (the other regions keep serving; that region's requests fail closed with 503 on their own).
   * Each region's state is in the body and in `gateway_region_state`: `unavailable` (its store
   * does not answer), `degraded` (its store answers but its KMS is failing, or a breaker is not
   * closed), `ok`; `dependency` names what is wrong. In a cell, the regions its peers serve
   * are listed too, `degraded` (dependency `peer`) while their cell does not answer: that never
   * makes this cell unready, since it still serves its own region.
   */
  @Get('readyz')
  async readyz(@Res({ passthrough: true }) reply: FastifyReply): Promise<unknown> {
    if (this.shutdown.draining) {
      void reply.status(503);
      return { status: 'draining' };
    }
    const [probes, peerProbes] = await Promise.all([
      this.router.probe(PROBE_TIMEOUT_MS),
      this.peers.probe(PROBE_TIMEOUT_MS),
    ]);
    const policy = this.policy.status();
    const local = probes.map((probe) => this.regionHealth(probe));
    const ready = policy.loaded && local.some((region) => region.state !== 'unavailable');
    const regions: (RegionHealth | PeerHealth)[] = [
      ...local,
      ...peerProbes.map((probe) => this.peerHealth(probe)),
    ];
    void reply.status(ready ? 200 : 503);
    return {
      status: ready ? 'ready' : 'not_ready',
      policy: {
        loaded: policy.loaded,
        revision: policy.revision,
        build: policy.build,
        bundleHash: policy.bundleHash,
        loadedAt: policy.loadedAt,
      },
      regions: Object.fromEntries(regions.map(({ region, ...health }) => [region, health])),
    };
  }

  private regionHealth(probe: RegionProbe): RegionHealth {
    const kms = this.kms.forRegion(probe.region).status();
    const [state, dependency]: [RegionState, 'store' | 'kms' | undefined] =
      probe.store === 'unavailable'
        ? ['unavailable', 'store']
        : probe.breaker !== 'closed'
          ? ['degraded', 'store']
          : kms === 'failing'
            ? ['degraded', 'kms']
            : ['ok', undefined];
    for (const each of REGION_STATES)
      this.metrics.regionState.set({ region: probe.region, state: each }, each === state ? 1 : 0);
    return {
      region: probe.region,
      state,
      ...(dependency === undefined ? {} : { dependency }),
      jurisdiction: probe.jurisdiction,
      store: probe.store,
      storeBreaker: probe.breaker,
      latencyMs: probe.latencyMs,
      kms,
    };
  }

  private peerHealth(probe: PeerProbe): PeerHealth {
    const state = probe.reachable && probe.breaker === 'closed' ? 'ok' : 'degraded';
    for (const each of REGION_STATES)
      this.metrics.regionState.set({ region: probe.region, state: each }, each === state ? 1 : 0);
    return {
      region: probe.region,
      state,
      ...(state === 'ok' ? {} : { dependency: 'peer' as const }),
      jurisdiction: probe.jurisdiction,
      servedBy: 'peer',
      peer: probe.reachable ? 'ok' : 'unreachable',
      peerBreaker: probe.breaker,
      latencyMs: probe.latencyMs,
    };
  }

  /**
   * SIGTERM: before the server stops accepting, readiness says `draining` for
   * GATEWAY_SHUTDOWN_DRAIN_MS while requests are still served, so a load balancer takes this
   * instance out of rotation before anything is refused; then new requests are refused with
   * 503 `shutting_down` while those in flight finish.
   */
  async beforeApplicationShutdown(): Promise<void> {
    this.shutdown.draining = true;
    if (this.config.shutdownDrainMs > 0) await sleep(this.config.shutdownDrainMs);
    this.shutdown.closing = true;
  }

  @Get('metrics')
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  async metricsText(): Promise<string> {
    return metricsText(this.metrics);
  }
}
