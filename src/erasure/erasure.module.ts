import { Module } from '@nestjs/common';
import { AccessModule } from '../access/access.module.js';
import { KeysModule } from '../keys/keys.module.js';
import { RecordsModule } from '../records/records.module.js';
import { RegionsModule } from '../regions/regions.module.js';
import { SubjectsModule } from '../subjects/subjects.module.js';
import { VaultModule } from '../vault/vault.module.js';
import { ErasureController } from './erasure.controller.js';
import { ErasureService } from './erasure.service.js';

/** Erasure of a subject (crypto-shredding) in its home region. */
@Module({
  imports: [RegionsModule, KeysModule, SubjectsModule, RecordsModule, VaultModule, AccessModule],
  controllers: [ErasureController],
  providers: [ErasureService],
})
export class ErasureModule {}
