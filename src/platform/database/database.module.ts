import { Global, Module, type DynamicModule } from '@nestjs/common';
import { TypeOrmModule, getDataSourceToken } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { GatewayConfig } from '../config/gateway-config.js';
import { regionDataSourceOptions, type EntityClass } from './region-data-source.factory.js';

/** Injection token: every configured region's DataSource, by region id (not yet connected). */
export const REGION_DATA_SOURCES = Symbol('REGION_DATA_SOURCES');

/**
 * One named TypeORM DataSource per region, registered through `@nestjs/typeorm` (the name is
 * the region id, so `@InjectDataSource('us-east-1')` works). They are created unconnected: the
 * region router connects them and checks each store's identity and migrations before the
 * gateway serves anything, refusing the boot with every problem listed.
 */
@Global()
@Module({})
export class DatabaseModule {
  static forRegions(config: GatewayConfig, entities: readonly EntityClass[]): DynamicModule {
    return {
      module: DatabaseModule,
      imports: config.regions.map((region) =>
        TypeOrmModule.forRoot({
          ...regionDataSourceOptions(region, config.database, entities, config.instanceId),
          name: region.id,
          manualInitialization: true,
        }),
      ),
      providers: [
        {
          provide: REGION_DATA_SOURCES,
          inject: config.regions.map((region) => getDataSourceToken(region.id)),
          useFactory: (...dataSources: DataSource[]): ReadonlyMap<string, DataSource> =>
            new Map(config.regions.map((region, i) => [region.id, dataSources[i] as DataSource])),
        },
      ],
      exports: [REGION_DATA_SOURCES],
    };
  }
}
