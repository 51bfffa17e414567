import { Module } from '@nestjs/common';
import { CellsModule } from '../cells/cells.module.js';
import { KeysModule } from '../keys/keys.module.js';
import { PolicyModule } from '../policy/policy.module.js';
import { RegionsModule } from '../regions/regions.module.js';
import { HealthController } from './health.controller.js';
import { ShutdownState } from './shutdown-state.js';

@Module({
  imports: [RegionsModule, KeysModule, PolicyModule, CellsModule],
  controllers: [HealthController],
  providers: [ShutdownState],
  exports: [ShutdownState],
})
export class HealthModule {}
