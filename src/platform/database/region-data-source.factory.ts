import { DataSource, type DataSourceOptions, type EntitySchema } from 'typeorm';
import type { GatewayConfig, RegionConfig } from '../config/gateway-config.js';
import { MIGRATIONS } from './schema.js';

// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type -- TypeORM's own type
export type EntityClass = Function | EntitySchema;

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
