import { join } from 'node:path';
import { loadGatewayConfig } from '../platform/config/config.loader.js';
import type { GatewayConfig } from '../platform/config/gateway-config.js';
import { createRegionDataSource } from '../platform/database/region-data-source.factory.js';
import { GatewayMetrics } from '../platform/metrics/gateway-metrics.js';
import { LOCAL_STATE_DIR } from '../platform/paths.js';
import { RegionRouter } from '../regions/region-router.js';
import { RegionTopology } from '../regions/region-topology.js';

/** The variables `npm start` hands its gateway, kept for the CLI (see the local stack). */
export const LOCAL_STACK_ENV_FILE = join(LOCAL_STATE_DIR, 'stack-env.json');

/**
 * The configuration an ops CLI runs with: the environment (a production topology), or, when
 * it names no topology, the running local stack's (`.local/stack-env.json`): stores, KMS
 * endpoint and credentials, keys. Nothing needs exporting by hand against the local stack.
 */
export function loadCliConfig(options: { readonly storesOnly?: boolean } = {}): GatewayConfig {
  return loadGatewayConfig(undefined, {
    storesOnly: options.storesOnly ?? true,
    localStackEnvFile: LOCAL_STACK_ENV_FILE,
  });
}

const CLI_STORE_BUDGET_MS = 60 * 60 * 1000;

/** The regional stores, opened (and checked) exactly as the gateway opens them. */
export async function openCliStores(
  config: GatewayConfig,
  metrics: GatewayMetrics = new GatewayMetrics(),
): Promise<RegionRouter> {
  const topology = new RegionTopology(config.regions, config.peers);
  const dataSources = new Map(
    config.regions.map((region) => [region.id, createRegionDataSource(region, config.database)]),
  );
  // CLI jobs (re-wrapping, verifying, exporting) run long batches: no per-request budget.
  return RegionRouter.open(topology, dataSources, metrics, {
    breakers: config.breakers,
    budgetMs: CLI_STORE_BUDGET_MS,
    maxWaiting: config.database.maxWaiting,
  });
}
