import { Module } from '@nestjs/common';
import { CatalogModule } from '../catalog/catalog.module.js';
import { KeysModule } from '../keys/keys.module.js';
import { PolicyModule } from '../policy/policy.module.js';
import { RegionsModule } from '../regions/regions.module.js';
import { QueryController } from './query.controller.js';
import { QueryService } from './query.service.js';
import { RegionQueryExecutor } from './region-query.executor.js';

@Module({
  imports: [RegionsModule, KeysModule, CatalogModule, PolicyModule],
  controllers: [QueryController],
  providers: [QueryService, RegionQueryExecutor],
})
export class QueryModule {}
