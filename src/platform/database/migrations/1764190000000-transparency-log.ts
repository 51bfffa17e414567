import { createHash } from 'node:crypto';
import type { MigrationInterface, QueryRunner } from 'typeorm';
import { canonicalJson } from '../../encoding/canonical-json.js';
import { jcs } from '../../encoding/jcs.js';
import { RUNTIME_ROLE, grantRuntime } from '../runtime-role.js';

const PAGE = 5000;

/**
 * The decision log becomes a transparency log (RFC 6962 Merkle tree, C2SP checkpoints):
 *
 * - `audit_entries` holds each decision as the exact bytes of its leaf (RFC 8785 JSON) plus
 *   copies of the fields auditors filter on; an access inserts its entry with no shared lock.
 * - `audit_pending` queues committed entries for the region's integrator, which assigns leaf
 *   indices (`audit_leaves`), stores every complete subtree hash (`audit_tree`, enough to serve
 *   any proof in O(log n) reads) and signs a checkpoint (`audit_checkpoints`); witnesses'
 *   cosignatures go to `audit_cosignatures`.
 * - The gateway's runtime role may only INSERT (and read) the log; a trigger refuses UPDATE,
 *   DELETE and TRUNCATE to everyone, the owner included.
 *
 * The old hash chain is verified and carried into the new log as its first leaves, in chain
 * order (a broken chain refuses the migration: investigate before migrating); its tables are
 * kept, renamed `*_archive`, read-only.
 */
export class TransparencyLog1764190000000 implements MigrationInterface {
  name = 'TransparencyLog1764190000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      DO $$ BEGIN
        CREATE ROLE ${RUNTIME_ROLE} NOLOGIN;
      EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
      END $$`);
    await queryRunner.query('ALTER TABLE audit_log RENAME TO audit_chain_archive');
    await queryRunner.query('ALTER TABLE audit_head RENAME TO audit_chain_head_archive');
    await queryRunner.query(
      'ALTER TABLE audit_checkpoints RENAME TO audit_chain_checkpoints_archive',
    );
    await queryRunner.query(`
      CREATE TABLE audit_entries (
        id bigserial PRIMARY KEY,
        decision_id uuid NOT NULL UNIQUE,
        leaf bytea NOT NULL,
        logged_at timestamptz NOT NULL,
        caller_service text NOT NULL,
        caller_jurisdiction text,
        subject_ids text[] NOT NULL DEFAULT '{}',
        action text NOT NULL,
        purpose text,
        allowed boolean NOT NULL,
        break_glass boolean NOT NULL,
        bundle_revision text NOT NULL
      )`);
    await queryRunner.query('CREATE INDEX audit_entries_time ON audit_entries (logged_at)');
    await queryRunner.query(
      'CREATE INDEX audit_entries_subjects ON audit_entries USING gin (subject_ids)',
    );
    await queryRunner.query(
      'CREATE INDEX audit_entries_service ON audit_entries (caller_service, id)',
    );
    await queryRunner.query(`
      CREATE TABLE audit_pending (
        entry_id bigint PRIMARY KEY REFERENCES audit_entries (id)
      )`);
    await queryRunner.query(`
      CREATE TABLE audit_leaves (
        leaf_index bigint PRIMARY KEY CHECK (leaf_index >= 0),
        entry_id bigint NOT NULL UNIQUE REFERENCES audit_entries (id),
        integrated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`
      CREATE TABLE audit_tree (
        level smallint NOT NULL CHECK (level BETWEEN 0 AND 62),
        idx bigint NOT NULL CHECK (idx >= 0),
        hash bytea NOT NULL CHECK (octet_length(hash) = 32),
        PRIMARY KEY (level, idx)
      )`);
    await queryRunner.query(`
      CREATE TABLE audit_checkpoints (
        tree_size bigint PRIMARY KEY CHECK (tree_size > 0),
        root_hash bytea NOT NULL CHECK (octet_length(root_hash) = 32),
        note text NOT NULL,
        signed_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`
      CREATE TABLE audit_cosignatures (
        tree_size bigint NOT NULL REFERENCES audit_checkpoints (tree_size),
        witness text NOT NULL,
        line text NOT NULL,
        cosigned_at timestamptz NOT NULL,
        received_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tree_size, witness)
      )`);

    await this.carryChain(queryRunner);

    await queryRunner.query(`
      CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'the audit log is append-only: % on % refused', TG_OP, TG_TABLE_NAME
          USING ERRCODE = 'insufficient_privilege';
      END $$`);
    for (const table of [
      'audit_entries',
      'audit_leaves',
      'audit_tree',
      'audit_checkpoints',
      'audit_cosignatures',
      'audit_chain_archive',
      'audit_chain_head_archive',
      'audit_chain_checkpoints_archive',
    ]) {
      await queryRunner.query(
        `CREATE TRIGGER ${table}_append_only BEFORE UPDATE OR DELETE ON ${table}
         FOR EACH ROW EXECUTE FUNCTION audit_append_only()`,
      );
      await queryRunner.query(
        `CREATE TRIGGER ${table}_no_truncate BEFORE TRUNCATE ON ${table}
         FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only()`,
      );
    }
    await grantRuntime(queryRunner, {
      select: ['store_identity', 'schema_migrations', 'audit_chain_archive'],
      readWrite: ['subjects', 'cases', 'key_rewrap_jobs'],
      readWriteDelete: ['subject_keys', 'records', 'blind_index', 'region_keys'],
      appendOnly: [
        'audit_entries',
        'audit_leaves',
        'audit_tree',
        'audit_checkpoints',
        'audit_cosignatures',
      ],
      queues: ['audit_pending'],
    });
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of [
      'audit_cosignatures',
      'audit_checkpoints',
      'audit_tree',
      'audit_leaves',
      'audit_pending',
      'audit_entries',
    ]) {
      await queryRunner.query(`DROP TABLE ${table}`);
    }
    for (const table of [
      'audit_chain_archive',
      'audit_chain_head_archive',
      'audit_chain_checkpoints_archive',
    ]) {
      await queryRunner.query(`DROP TRIGGER ${table}_append_only ON ${table}`);
      await queryRunner.query(`DROP TRIGGER ${table}_no_truncate ON ${table}`);
    }
    await queryRunner.query('DROP FUNCTION audit_append_only()');
    await queryRunner.query('ALTER TABLE audit_chain_archive RENAME TO audit_log');
    await queryRunner.query('ALTER TABLE audit_chain_head_archive RENAME TO audit_head');
    await queryRunner.query(
      'ALTER TABLE audit_chain_checkpoints_archive RENAME TO audit_checkpoints',
    );
  }

  /**
   * Verifies each region's old chain (hash = SHA-256(prev ‖ canonical {region, seq, entry}))
   * and queues its entries, in chain order, as the new log's first leaves.
   */
  private async carryChain(queryRunner: QueryRunner): Promise<void> {
    const regions = (await queryRunner.query(
      'SELECT DISTINCT region FROM audit_chain_archive ORDER BY region',
    )) as { region: string }[];
    for (const { region } of regions) {
      let previous: Buffer = Buffer.alloc(32);
      let expected = 1;
      for (;;) {
        const rows = (await queryRunner.query(
          `SELECT seq::text AS seq, entry, prev_hash, hash FROM audit_chain_archive
           WHERE region = $1 AND seq >= $2 ORDER BY audit_chain_archive.seq LIMIT $3`,
          [region, expected, PAGE],
        )) as { seq: string; entry: ChainEntry; prev_hash: Buffer; hash: Buffer }[];
        for (const row of rows) {
          const seq = Number(row.seq);
          const recomputed = createHash('sha256')
            .update(row.prev_hash)
            .update(canonicalJson({ region, seq, entry: row.entry }), 'utf8')
            .digest();
          if (seq !== expected || !row.prev_hash.equals(previous) || !recomputed.equals(row.hash)) {
            throw new Error(
              `the audit chain of ${region} is broken at seq ${String(expected)}; refusing to ` +
                'migrate it into the transparency log. Verify it with the previous release ' +
                '(npm run audit -- verify) and investigate before migrating.',
            );
          }
          previous = row.hash;
          expected++;
          await insertCarried(queryRunner, region, row.entry);
        }
        if (rows.length < PAGE) break;
      }
    }
  }
}

interface ChainEntry {
  decision_id: string;
  timestamp: string;
  input: {
    caller?: { service?: string; jurisdiction?: string };
    action?: string;
    purpose?: string | null;
    resource?: { subject?: string };
  };
  result: { allow: boolean; break_glass: boolean };
  bundles: Record<string, { revision: string }>;
}

/** One carried entry: the chain's entry with its region, as the leaf the new log would write. */
async function insertCarried(
  queryRunner: QueryRunner,
  region: string,
  entry: ChainEntry,
): Promise<void> {
  const leaf = Buffer.from(jcs({ ...entry, region }), 'utf8');
  const subject = entry.input.resource?.subject;
  await queryRunner.query(
    `WITH e AS (
       INSERT INTO audit_entries (decision_id, leaf, logged_at, caller_service, caller_jurisdiction,
                                  subject_ids, action, purpose, allowed, break_glass, bundle_revision)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id)
     INSERT INTO audit_pending (entry_id) SELECT id FROM e`,
    [
      entry.decision_id,
      leaf,
      entry.timestamp,
      entry.input.caller?.service ?? '',
      entry.input.caller?.jurisdiction ?? null,
      subject === undefined ? [] : [subject],
      entry.input.action ?? '',
      entry.input.purpose ?? null,
      entry.result.allow,
      entry.result.break_glass,
      entry.bundles['residency']?.revision ?? '',
    ],
  );
}
