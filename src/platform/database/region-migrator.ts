import type { GatewayConfig, RegionConfig } from '../config/gateway-config.js';
import { createRegionDataSource } from './region-data-source.factory.js';
import { readStoreIdentity, recordStoreIdentity, storeIdentityProblem } from './store-identity.js';

export type RegionMigrationResult =
  | { readonly region: string; readonly ok: true; readonly applied: readonly string[] }
  | { readonly region: string; readonly ok: false; readonly error: string };

/**
 * Applies the checked-in migrations to one region's store and records the store's region.
 * A store that already belongs to another region is refused before anything is applied.
 */
export async function migrateRegion(
  region: RegionConfig,
  database: GatewayConfig['database'],
): Promise<RegionMigrationResult> {
  // As the owner: the runtime role the gateway connects with may not change the schema.
  const dataSource = createRegionDataSource(
    { ...region, databaseUrl: region.migrationDatabaseUrl ?? region.databaseUrl },
    database,
  );
  try {
    await dataSource.initialize();
    const before = await readStoreIdentity(dataSource);
    if (before !== undefined) {
      const problem = storeIdentityProblem(before, region);
      if (problem !== undefined) return { region: region.id, ok: false, error: problem };
    }
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    await recordStoreIdentity(dataSource, region);
    const problem = storeIdentityProblem(await readStoreIdentity(dataSource), region);
    if (problem !== undefined) return { region: region.id, ok: false, error: problem };
    return { region: region.id, ok: true, applied: applied.map((m) => m.name) };
  } catch (error) {
    return { region: region.id, ok: false, error: describeMigrationError(error) };
  } finally {
    if (dataSource.isInitialized) await dataSource.destroy();
  }
}

/** Migrates every region in parallel; one region's failure does not stop the others. */
export async function migrateAllRegions(config: GatewayConfig): Promise<RegionMigrationResult[]> {
  return Promise.all(config.regions.map((region) => migrateRegion(region, config.database)));
}

function describeMigrationError(error: unknown): string {
  if (!(error instanceof Error)) return 'unknown error';
  const code = (error as { code?: unknown }).code;
  // Driver messages may quote the connection string's host but never its password.
  return typeof code === 'string' ? `${error.message} (${code})` : error.message;
}

/** One line per region, as printed by `npm run migrate` and `npm start`. */
export function formatMigrationResult(result: RegionMigrationResult): string {
  if (!result.ok) return `✗ ${result.region}: ${result.error}`;
  const applied =
    result.applied.length === 0 ? 'up to date' : `applied ${result.applied.join(', ')}`;
  return `✓ ${result.region}: ${applied}`;
}
