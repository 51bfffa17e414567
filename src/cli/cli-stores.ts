import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadGatewayConfig } from '../platform/config/config.loader.js';
import type { GatewayConfig } from '../platform/config/gateway-config.js';
import { GatewayMetrics } from '../platform/metrics/gateway-metrics.js';
import { LOCAL_STATE_DIR } from '../platform/paths.js';
import { JurisdictionMap } from '../regions/jurisdiction-map.js';
import { RegionRouter } from '../regions/region-router.js';
import { RegionTopology } from '../regions/region-topology.js';

/** The configuration an ops CLI runs with: the environment, or the local stack's topology. */
export function loadCliConfig(): GatewayConfig {
  const localTopology = join(LOCAL_STATE_DIR, 'topology.json');
  return loadGatewayConfig(undefined, {
    storesOnly: true,
    ...(existsSync(localTopology) ? { fallbackTopologyFile: localTopology } : {}),
  });
}

/** The regional stores, opened (and checked) exactly as the gateway opens them. */
export async function openCliStores(
  config: GatewayConfig,
  metrics: GatewayMetrics,
): Promise<RegionRouter> {
  const topology = new RegionTopology(config.regions, JurisdictionMap.load(config.policyDataDir));
  return RegionRouter.open(topology, config.database, metrics);
}
