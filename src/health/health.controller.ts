import { Controller, Get, Header, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { PublicRoute } from '../auth/public-route.decorator.js';
import { KmsRegistry } from '../keys/kms-registry.js';
import { metricsText } from '../platform/metrics/cluster-metrics.js';
import { GatewayMetrics } from '../platform/metrics/gateway-metrics.js';
import { PolicyService } from '../policy/policy.service.js';
import { RegionRouter } from '../regions/region-router.js';

/** How long readiness waits for each store before calling it unavailable. */
const PROBE_TIMEOUT_MS = 1000;

@ApiExcludeController()
@PublicRoute()
@Controller()
export class HealthController {
  constructor(
    private readonly router: RegionRouter,
    private readonly kms: KmsRegistry,
    private readonly policy: PolicyService,
    private readonly metrics: GatewayMetrics,
  ) {}

  /** Liveness: the process serves HTTP. Deliberately checks no dependency. */
  @Get('healthz')
  healthz(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /**
   * Readiness: a verified policy bundle is loaded and every region's store answers (503
   * otherwise), plus each region's KMS
   * as last seen. KMS does not gate readiness: a KMS outage already fails that region's
   * requests closed (503 kms_unavailable), and a pod taken out of rotation would never see
   * the KMS recover.
   */
  @Get('readyz')
  async readyz(@Res({ passthrough: true }) reply: FastifyReply): Promise<unknown> {
    const probes = await this.router.probe(PROBE_TIMEOUT_MS);
    const policy = this.policy.status();
    const ready = policy.loaded && probes.every((probe) => probe.store === 'ok');
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
      regions: Object.fromEntries(
        probes.map((p) => [
          p.region,
          {
            jurisdiction: p.jurisdiction,
            store: p.store,
            latencyMs: p.latencyMs,
            kms: this.kms.forRegion(p.region).status(),
          },
        ]),
      ),
    };
  }

  @Get('metrics')
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  async metricsText(): Promise<string> {
    return metricsText(this.metrics);
  }
}
