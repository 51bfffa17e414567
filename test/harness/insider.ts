import type { TestRegions } from './test-regions.js';

/**
 * What an insider with the database owner's credentials can do to a region's audit log: turn
 * the append-only triggers off, rewrite, turn them back on. The tests use it to prove that
 * verification (and witnesses) catch each rewrite.
 */
const AUDIT_TABLES = [
  'audit_entries',
  'audit_leaves',
  'audit_tree',
  'audit_checkpoints',
  'audit_cosignatures',
];

export async function asInsider(
  regions: TestRegions,
  region: string,
  statements: readonly string[],
): Promise<void> {
  const disable = AUDIT_TABLES.map((t) => `ALTER TABLE ${t} DISABLE TRIGGER USER`);
  const enable = AUDIT_TABLES.map((t) => `ALTER TABLE ${t} ENABLE TRIGGER USER`);
  await regions.query(
    region,
    ['BEGIN', ...disable, ...statements, ...enable, 'COMMIT'].join(';\n'),
  );
}

/** Changes one byte of the leaf at `index` (the entry's stored bytes), nothing else. */
export async function alterLeaf(
  regions: TestRegions,
  region: string,
  index: number,
): Promise<void> {
  await asInsider(regions, region, [
    `UPDATE audit_entries
     SET leaf = convert_to(replace(convert_from(leaf, 'UTF8'), 'residency/decision', 'residency/decisioN'), 'UTF8')
     WHERE id = (SELECT entry_id FROM audit_leaves WHERE leaf_index = ${String(index)})`,
  ]);
}

/** Rewrites whom the entry at `index` names in its filter column (the leaf stays). */
export async function alterSubjectColumn(
  regions: TestRegions,
  region: string,
  index: number,
): Promise<void> {
  await asInsider(regions, region, [
    `UPDATE audit_entries SET subject_ids = ARRAY['s1.${region}.0000000000000000000000000z']
     WHERE id = (SELECT entry_id FROM audit_leaves WHERE leaf_index = ${String(index)})`,
  ]);
}

/**
 * Deletes the entry at `index` and every derived row (leaves, tree, checkpoints,
 * cosignatures), and queues the rest again in order: the gateway's integrator then rebuilds a
 * consistent tree without it and signs fresh checkpoints. Only outside evidence can tell.
 */
export async function deleteAndRehash(
  regions: TestRegions,
  region: string,
  index: number,
): Promise<void> {
  await asInsider(regions, region, [
    `CREATE TEMP TABLE victim ON COMMIT DROP AS SELECT entry_id FROM audit_leaves WHERE leaf_index = ${String(index)}`,
    'DELETE FROM audit_cosignatures',
    'DELETE FROM audit_checkpoints',
    'DELETE FROM audit_tree',
    'DELETE FROM audit_leaves',
    'DELETE FROM audit_pending',
    'DELETE FROM audit_entries WHERE id IN (SELECT entry_id FROM victim)',
    'INSERT INTO audit_pending (entry_id) SELECT id FROM audit_entries ORDER BY id',
  ]);
}

/** Cuts the log back to its first `keep` leaves, with the tree and checkpoints to match. */
export async function truncate(regions: TestRegions, region: string, keep: number): Promise<void> {
  await asInsider(regions, region, [
    `CREATE TEMP TABLE cut ON COMMIT DROP AS SELECT entry_id FROM audit_leaves WHERE leaf_index >= ${String(keep)}`,
    `DELETE FROM audit_cosignatures WHERE tree_size > ${String(keep)}`,
    `DELETE FROM audit_checkpoints WHERE tree_size > ${String(keep)}`,
    `DELETE FROM audit_tree WHERE ((idx + 1) << level) > ${String(keep)}`,
    `DELETE FROM audit_leaves WHERE leaf_index >= ${String(keep)}`,
    'DELETE FROM audit_pending WHERE entry_id IN (SELECT entry_id FROM cut)',
    'DELETE FROM audit_entries WHERE id IN (SELECT entry_id FROM cut)',
  ]);
}

/** Deletes the whole log. */
export async function wipe(regions: TestRegions, region: string): Promise<void> {
  await truncate(regions, region, 0);
}
