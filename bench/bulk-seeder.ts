import { NestFactory } from '@nestjs/core';
import type { INestApplicationContext } from '@nestjs/common';
import { AppModule } from '../src/app.module.js';
import type { RecordDocument } from '../src/catalog/collection-catalog.js';
import { PolicyService } from '../src/policy/policy.service.js';
import type { GatewayConfig } from '../src/platform/config/gateway-config.js';
import { SubjectKeysService } from '../src/keys/subject-keys.service.js';
import { RegionRouter } from '../src/regions/region-router.js';
import { SubjectId } from '../src/subjects/subject-id.js';
import { RecordVault } from '../src/vault/record-vault.js';

export interface SeedPlan {
  readonly region: string;
  readonly jurisdiction: string;
  /** watch_event records to write, spread over subjects (RECORDS_PER_SUBJECT each). */
  readonly records: number;
  /** How many of them have videoId `v-popular` (what the query scenario finds). */
  readonly popular: number;
}

export interface SeededRegion {
  readonly region: string;
  /** Subjects created, each with a profile record `main`. */
  readonly subjects: readonly string[];
  readonly seconds: number;
}

const RECORDS_PER_SUBJECT = 100;
const BATCH = 500;
/** The writer sealed into every seeded record (a bulk import writes as its own service). */
export const SEEDER_WRITER = 'svc:bulk-seeder';

/**
 * Seeds regions directly in their stores with the gateway's own code (not one HTTP call per
 * record): subject keys from the region's KMS, records sealed and blind-indexed by the record
 * vault, inserted in multi-row batches. What a bulk import or a migration from another system
 * would do; the decision log is not involved (nothing is decided).
 */
export async function seed(
  config: GatewayConfig,
  plans: readonly SeedPlan[],
): Promise<SeededRegion[]> {
  const context: INestApplicationContext = await NestFactory.createApplicationContext(
    AppModule.forConfig(config),
    { logger: false },
  );
  try {
    const vault = context.get(RecordVault);
    const keys = context.get(SubjectKeysService);
    const router = context.get(RegionRouter);
    const catalog = context.get(PolicyService).snapshot().catalog;
    const watch = catalog.collection('watch_event');
    const profile = catalog.collection('profile');
    return await Promise.all(
      plans.map(async (plan) => {
        const started = performance.now();
        const subjectCount = Math.max(1, Math.ceil(plan.records / RECORDS_PER_SUBJECT));
        const subjects: string[] = [];
        let written = 0;
        for (let s = 0; s < subjectCount; s++) {
          const id = SubjectId.generate(plan.region).value;
          subjects.push(id);
          const key = await keys.generate(plan.region, id);
          const rows: {
            collection: string;
            recordId: string;
            envelope: Buffer;
            index: { field: string; hash: Buffer }[];
          }[] = [];
          const sealer = await vault.sealer(plan.region, key);
          // Every seeded record is version 1 of itself, written by the seeder.
          const seal = (collection: string, recordId: string, doc: RecordDocument): Buffer =>
            sealer.seal(
              {
                region: plan.region,
                collection,
                subjectId: id,
                recordId,
                keyVersion: key.keyVersion,
                recordVersion: 1,
              },
              doc,
              SEEDER_WRITER,
            );
          try {
            const profileDoc = {
              displayName: `Seed ${String(s)}`,
              email: `seed${String(s)}@example.org`,
              country: 'XX',
            };
            rows.push({
              collection: 'profile',
              recordId: 'main',
              envelope: seal('profile', 'main', profileDoc),
              index: await vault.indexEntries(plan.region, profile, profileDoc),
            });
            const here = Math.min(RECORDS_PER_SUBJECT, plan.records - written);
            for (let r = 0; r < here; r++, written++) {
              const doc = {
                videoId: written < plan.popular ? 'v-popular' : `v-${String(written)}`,
                watchedMs: written,
              };
              const recordId = `e${String(r)}`;
              rows.push({
                collection: 'watch_event',
                recordId,
                envelope: seal('watch_event', recordId, doc),
                index: await vault.indexEntries(plan.region, watch, doc),
              });
            }
          } finally {
            sealer.dispose();
          }
          await router.transaction(plan.region, async (manager) => {
            await manager.query(
              'INSERT INTO subjects (id, home_region, jurisdiction, country) VALUES ($1, $2, $3, $4)',
              [id, plan.region, plan.jurisdiction, plan.jurisdiction === 'EU' ? 'DE' : 'US'],
            );
            await manager.query(
              'INSERT INTO subject_keys (subject_id, key_version, wrapped_key, kms_key_id) VALUES ($1, $2, $3, $4)',
              [id, key.keyVersion, key.wrappedKey, key.kmsKeyId],
            );
            for (let at = 0; at < rows.length; at += BATCH) {
              const slice = rows.slice(at, at + BATCH);
              await manager.query(
                `INSERT INTO records (subject_id, collection, record_id, version, key_version, envelope)
                 SELECT $1, c, r, 1, $2, e FROM unnest($3::text[], $4::text[], $5::bytea[]) AS t(c, r, e)`,
                [
                  id,
                  key.keyVersion,
                  slice.map((x) => x.collection),
                  slice.map((x) => x.recordId),
                  slice.map((x) => x.envelope),
                ],
              );
              const index = slice.flatMap((x) =>
                x.index.map(
                  (entry) => [x.collection, x.recordId, entry.field, entry.hash] as const,
                ),
              );
              if (index.length > 0) {
                await manager.query(
                  `INSERT INTO blind_index (subject_id, collection, record_id, field, hash)
                   SELECT $1, c, r, f, h FROM unnest($2::text[], $3::text[], $4::text[], $5::bytea[]) AS t(c, r, f, h)`,
                  [
                    id,
                    index.map((x) => x[0]),
                    index.map((x) => x[1]),
                    index.map((x) => x[2]),
                    index.map((x) => x[3]),
                  ],
                );
              }
            }
          });
        }
        return { region: plan.region, subjects, seconds: (performance.now() - started) / 1000 };
      }),
    );
  } finally {
    await context.close();
  }
}
