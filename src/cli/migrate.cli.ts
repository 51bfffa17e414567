import 'reflect-metadata';
import { ConfigError } from '../platform/config/config.error.js';
import { formatMigrationResult, migrateAllRegions } from '../platform/database/region-migrator.js';
import { loadCliConfig } from './cli-stores.js';

/**
 * `npm run migrate`: applies the checked-in migrations to every configured region and records
 * each store's region. Reports each region on its own line; exits 1 if any region failed.
 * Uses GATEWAY_TOPOLOGY_FILE / GATEWAY_TOPOLOGY, or the local stack's .local/topology.json.
 */
async function main(): Promise<number> {
  const config = loadCliConfig();
  const results = await migrateAllRegions(config);
  for (const result of results) process.stdout.write(`${formatMigrationResult(result)}\n`);
  return results.every((result) => result.ok) ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${error instanceof ConfigError ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
