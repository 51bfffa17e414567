import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The decision log of the region: one hash chain per region (`audit_head` is the chain head
 * every appender locks, so concurrent gateways never fork it), and signed checkpoints of the
 * head. Entries are append-only for the gateway: it never updates or deletes them.
 */
export class AuditLog1764180000000 implements MigrationInterface {
  name = 'AuditLog1764180000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE audit_head (
        region text PRIMARY KEY,
        seq bigint NOT NULL,
        hash bytea NOT NULL
      )`);
    await queryRunner.query(`
      CREATE TABLE audit_log (
        region text NOT NULL,
        seq bigint NOT NULL,
        decision_id uuid NOT NULL UNIQUE,
        logged_at timestamptz NOT NULL,
        entry jsonb NOT NULL,
        prev_hash bytea NOT NULL,
        hash bytea NOT NULL,
        caller_service text NOT NULL,
        subject_id text,
        action text NOT NULL,
        allowed boolean NOT NULL,
        break_glass boolean NOT NULL,
        PRIMARY KEY (region, seq)
      )`);
    await queryRunner.query('CREATE INDEX audit_log_time ON audit_log (region, logged_at)');
    await queryRunner.query('CREATE INDEX audit_log_subject ON audit_log (subject_id, seq)');
    await queryRunner.query(`
      CREATE TABLE audit_checkpoints (
        region text NOT NULL,
        seq bigint NOT NULL,
        hash bytea NOT NULL,
        signed_at timestamptz NOT NULL DEFAULT now(),
        key_id text NOT NULL,
        signature text NOT NULL,
        PRIMARY KEY (region, seq)
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE audit_checkpoints');
    await queryRunner.query('DROP TABLE audit_log');
    await queryRunner.query('DROP TABLE audit_head');
  }
}
