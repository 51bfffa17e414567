import { Module } from '@nestjs/common';
import { AccessModule } from '../access/access.module.js';
import { KeysModule } from '../keys/keys.module.js';
import { PolicyModule } from '../policy/policy.module.js';
import { RegionsModule } from '../regions/regions.module.js';
import { VaultModule } from '../vault/vault.module.js';
import { RecordsController } from './records.controller.js';
import { RecordsRepository } from './records.repository.js';
import { RecordsService } from './records.service.js';

@Module({
  imports: [RegionsModule, PolicyModule, KeysModule, VaultModule, AccessModule],
  controllers: [RecordsController],
  providers: [RecordsService, { provide: RecordsRepository, useValue: new RecordsRepository() }],
  exports: [RecordsRepository],
})
export class RecordsModule {}
