import { DataSource } from 'typeorm';
import type { GatewayConfig, RegionConfig } from '../config/gateway-config.js';
import { ENTITIES, MIGRATIONS } from './schema.js';

/** Creates (but does not connect) the TypeORM DataSource of one region's store. */
export function createRegionDataSource(
  region: RegionConfig,
  database: GatewayConfig['database'],
): DataSource {
  return new DataSource({
    type: 'postgres',
    url: region.databaseUrl,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsTableName: 'schema_migrations',
    migrationsRun: false,
    synchronize: false,
    logging: false,
    applicationName: `residency-gateway:${region.id}`,
    poolSize: region.poolSize,
    connectTimeoutMS: database.connectTimeoutMs,
    extra: {
      statement_timeout: database.statementTimeoutMs,
      idle_in_transaction_session_timeout: database.statementTimeoutMs,
    },
  });
}
