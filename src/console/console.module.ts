import { Module } from '@nestjs/common';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../platform/paths.js';
import { RegionsModule } from '../regions/regions.module.js';
import { ConsoleAssets } from './console-assets.js';
import { ConsoleController } from './console.controller.js';

/** Where scripts/build.mjs writes the console. */
export const CONSOLE_DIST = join(PROJECT_ROOT, 'dist', 'console');

/** The web console for auditors, legal reviewers and privacy officers (`/console`). */
@Module({
  imports: [RegionsModule],
  controllers: [ConsoleController],
  providers: [{ provide: ConsoleAssets, useFactory: () => ConsoleAssets.load(CONSOLE_DIST) }],
})
export class ConsoleModule {}
