import type { DataSource } from 'typeorm';
import type { RegionConfig } from '../config/gateway-config.js';

export interface StoreIdentity {
  readonly region: string;
  readonly jurisdiction: string;
}

/** The region a store says it belongs to, or `undefined` before its first migration. */
export async function readStoreIdentity(
  dataSource: DataSource,
): Promise<StoreIdentity | undefined> {
  const exists = await dataSource.query<{ present: boolean }[]>(
    "SELECT to_regclass('store_identity') IS NOT NULL AS present",
  );
  if (exists[0]?.present !== true) return undefined;
  const rows = await dataSource.query<StoreIdentity[]>(
    'SELECT region, jurisdiction FROM store_identity',
  );
  return rows[0];
}

/** Records the region on a freshly migrated store; leaves an existing identity untouched. */
export async function recordStoreIdentity(
  dataSource: DataSource,
  region: RegionConfig,
): Promise<void> {
  await dataSource.query(
    'INSERT INTO store_identity (region, jurisdiction) VALUES ($1, $2) ON CONFLICT (singleton) DO NOTHING',
    [region.id, region.jurisdiction],
  );
}

/** Why a store must not be used for a region, or `undefined` when it matches. */
export function storeIdentityProblem(
  identity: StoreIdentity | undefined,
  region: RegionConfig,
): string | undefined {
  if (identity === undefined) {
    return `store configured for region ${region.id} has no store identity; run the migrations (npm run migrate)`;
  }
  if (identity.region !== region.id) {
    return `store configured for region ${region.id} belongs to region ${identity.region}; refusing to use it`;
  }
  if (identity.jurisdiction !== region.jurisdiction) {
    return `store of region ${region.id} records jurisdiction ${identity.jurisdiction} but the topology says ${region.jurisdiction}`;
  }
  return undefined;
}

/**
 * Why the gateway must not use this connection: its role may change the audit log (UPDATE or
 * DELETE on `audit_entries` — an owner or superuser), or `undefined` when it is a runtime role.
 */
export async function runtimeRoleProblem(
  dataSource: DataSource,
  region: RegionConfig,
): Promise<string | undefined> {
  const rows = await dataSource.query<{ changes: boolean }[]>(
    `SELECT has_table_privilege(current_user, 'audit_entries', 'UPDATE')
         OR has_table_privilege(current_user, 'audit_entries', 'DELETE') AS changes`,
  );
  return rows[0]?.changes === true
    ? `store of region ${region.id}: the gateway's database role may change the audit log; ` +
        'connect as a member of residency_gateway_runtime (migrations use migrationDatabaseUrl)'
    : undefined;
}
