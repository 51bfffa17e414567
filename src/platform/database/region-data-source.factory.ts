import { DataSource, type DataSourceOptions, type EntitySchema } from 'typeorm';
import type { GatewayConfig, RegionConfig } from '../config/gateway-config.js';
import { HangSafeClient } from './hang-safe-client.js';
import { MIGRATIONS } from './schema.js';

// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type -- TypeORM's own type
export type EntityClass = Function | EntitySchema;

/** How much longer than the store's own statement timeout the client waits for an answer. */
const CLIENT_TIMEOUT_GRACE_MS = 250;

/** The TypeORM options of one region's store: its pool, timeouts, migrations; never `synchronize`. */
export function regionDataSourceOptions(
  region: RegionConfig,
  database: GatewayConfig['database'],
  entities: readonly EntityClass[] = [],
  instanceId?: string,
): DataSourceOptions {
  return {
    type: 'postgres',
    url: region.databaseUrl,
    entities: [...entities],
    migrations: MIGRATIONS,
    migrationsTableName: 'schema_migrations',
    migrationsRun: false,
    synchronize: false,
    logging: false,
    // Names the instance too, so ops (and tests) can tell whose connection holds what.
    applicationName: `rg:${region.id}${instanceId === undefined ? '' : `:${instanceId}`}`.slice(
      0,
      63,
    ),
    poolSize: region.poolSize,
    connectTimeoutMS: database.connectTimeoutMs,
    extra: {
      statement_timeout: database.statementTimeoutMs,
      idle_in_transaction_session_timeout: database.statementTimeoutMs,
      // The store enforces statement_timeout; a store that hangs enforces nothing, so the
      // client gives up a little later and hangs up (HangSafeClient).
      query_timeout: database.statementTimeoutMs + CLIENT_TIMEOUT_GRACE_MS,
      Client: HangSafeClient,
    },
  };
}

/** Creates (but does not connect) a region's DataSource outside Nest (the migrator, the CLI). */
export function createRegionDataSource(
  region: RegionConfig,
  database: GatewayConfig['database'],
): DataSource {
  return new DataSource(regionDataSourceOptions(region, database));
}
