import { Module } from '@nestjs/common';
import { GATEWAY_CONFIG } from '../platform/config/config.module.js';
import type { GatewayConfig } from '../platform/config/gateway-config.js';
import { GatewayMetrics } from '../platform/metrics/gateway-metrics.js';
import { PeerClient } from './peer-client.js';

/**
 * Cells (DESIGN §4): how this gateway reaches the cells serving other regions. The HTTP side —
 * the peer port, identifying forwarding cells, forwarding requests — is installed on the
 * server by the app factory (`PeerListener`, `identifyPeerCalls`, `forwardToPeers`).
 */
@Module({
  providers: [
    {
      provide: PeerClient,
      inject: [GATEWAY_CONFIG, GatewayMetrics],
      useFactory: (config: GatewayConfig, metrics: GatewayMetrics) =>
        new PeerClient(config, metrics),
    },
  ],
  exports: [PeerClient],
})
export class CellsModule {}
