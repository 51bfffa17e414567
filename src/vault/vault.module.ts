import { Module } from '@nestjs/common';
import { KeysModule } from '../keys/keys.module.js';
import { RecordVault } from './record-vault.js';

/** Sealing, opening, masking and indexing of records, under each region's keys. */
@Module({
  imports: [KeysModule],
  providers: [RecordVault],
  exports: [RecordVault],
})
export class VaultModule {}
