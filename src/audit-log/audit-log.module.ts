import { Module } from '@nestjs/common';
import { ConfigError } from '../platform/config/config.error.js';
import { GATEWAY_CONFIG } from '../platform/config/config.module.js';
import type { GatewayConfig } from '../platform/config/gateway-config.js';
import { GatewayMetrics } from '../platform/metrics/gateway-metrics.js';
import { RegionRouter } from '../regions/region-router.js';
import { RegionsModule } from '../regions/regions.module.js';
import { AuditLogWriter } from './audit-log.writer.js';
import { CheckpointSigner } from './checkpoint-signer.js';
import { openSink, parseSinkLocation, type CheckpointSink } from './checkpoint-sink.js';
import { LogStore } from './log-store.js';
import { TransparencyLog } from './transparency-log.js';

/** Injection token: the checkpoint sink outside the stores, or null when none is configured. */
export const CHECKPOINT_SINK = Symbol('CHECKPOINT_SINK');

/**
 * Each region's decision log as a transparency log: appending (for the access gate), the
 * integrators, proofs, cosignatures and verification (for the auditor API).
 */
@Module({
  imports: [RegionsModule],
  providers: [
    {
      provide: AuditLogWriter,
      inject: [GATEWAY_CONFIG, RegionRouter],
      useFactory: (config: GatewayConfig, router: RegionRouter) =>
        new AuditLogWriter(config.instanceId, router),
    },
    { provide: LogStore, useValue: new LogStore() },
    {
      provide: CheckpointSigner,
      inject: [GATEWAY_CONFIG],
      useFactory: (config: GatewayConfig) => {
        try {
          return CheckpointSigner.fromFile(config.audit.signingKeyFile);
        } catch {
          throw new ConfigError([
            `GATEWAY_AUDIT_SIGNING_KEY_FILE: cannot read an Ed25519 PEM private key at ${config.audit.signingKeyFile}`,
          ]);
        }
      },
    },
    {
      provide: CHECKPOINT_SINK,
      inject: [GATEWAY_CONFIG],
      useFactory: (config: GatewayConfig): CheckpointSink | null => {
        const location =
          config.audit.sink === undefined ? undefined : parseSinkLocation(config.audit.sink);
        if (location === undefined) return null;
        return openSink(location, {
          region: config.audit.sinkS3Region ?? config.regions[0]?.id ?? 'us-east-1',
          ...(config.audit.sinkS3Endpoint === undefined
            ? {}
            : { endpoint: config.audit.sinkS3Endpoint }),
          ...(config.keys.staticCredentials === undefined
            ? {}
            : { credentials: config.keys.staticCredentials }),
        });
      },
    },
    {
      provide: TransparencyLog,
      inject: [
        GATEWAY_CONFIG,
        RegionRouter,
        LogStore,
        CheckpointSigner,
        CHECKPOINT_SINK,
        GatewayMetrics,
      ],
      useFactory: (
        config: GatewayConfig,
        router: RegionRouter,
        store: LogStore,
        signer: CheckpointSigner,
        sink: CheckpointSink | null,
        metrics: GatewayMetrics,
      ) => new TransparencyLog(config.audit, router, store, signer, sink ?? undefined, metrics),
    },
  ],
  exports: [AuditLogWriter, TransparencyLog, LogStore],
})
export class AuditLogModule {}
