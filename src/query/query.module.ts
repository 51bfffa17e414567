import { Module } from '@nestjs/common';
import { AccessModule } from '../access/access.module.js';
import { CellsModule } from '../cells/cells.module.js';
import { PolicyModule } from '../policy/policy.module.js';
import { RegionsModule } from '../regions/regions.module.js';
import { VaultModule } from '../vault/vault.module.js';
import { QueryController } from './query.controller.js';
import { QueryRepository } from './query.repository.js';
import { QueryService } from './query.service.js';
import { RegionQueryExecutor } from './region-query.executor.js';
import { PeerQueryPart } from './peer-query-part.js';

@Module({
  imports: [RegionsModule, PolicyModule, VaultModule, AccessModule, CellsModule],
  controllers: [QueryController],
  providers: [
    QueryService,
    RegionQueryExecutor,
    PeerQueryPart,
    { provide: QueryRepository, useValue: new QueryRepository() },
  ],
})
export class QueryModule {}
