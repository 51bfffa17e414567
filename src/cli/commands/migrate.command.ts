import {
  formatMigrationResult,
  migrateAllRegions,
} from '../../platform/database/region-migrator.js';
import { loadCliConfig } from '../cli-config.js';
import { EXIT } from '../exit-codes.js';

/**
 * `migrate`: applies the checked-in migrations to every configured region and records each
 * store's region. One line per region; exit 1 if any region failed.
 */
export async function migrate(): Promise<number> {
  const results = await migrateAllRegions(loadCliConfig());
  for (const result of results) process.stdout.write(`${formatMigrationResult(result)}\n`);
  return results.every((result) => result.ok) ? EXIT.ok : EXIT.failed;
}
