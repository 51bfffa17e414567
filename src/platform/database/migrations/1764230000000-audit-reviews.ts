import type { MigrationInterface, QueryRunner } from 'typeorm';
import { grantRuntime } from '../runtime-role.js';

/**
 * What the console needs from each region's store:
 *
 * - `audit_reviews`: a person's review of a break-glass decision (who, when, a note). One per
 *   decision, never changed: the review is itself a decision in the log, and the row only says
 *   the queue is done with it.
 * - `audit_verifications`: each full verification of the log (when, by whom, the outcome and
 *   the first leaf that did not hold), so log health shows the last one.
 * - Indexes for the auditors' search over large logs: the rare flags (break-glass, denied) as
 *   partial indexes in log order, and action / caller jurisdiction with the log order, so a
 *   filtered page reads only its rows instead of walking the whole log.
 */
export class AuditReviews1764230000000 implements MigrationInterface {
  name = 'AuditReviews1764230000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE audit_reviews (
        decision_id uuid PRIMARY KEY,
        reviewed_by text NOT NULL,
        note text NOT NULL CHECK (char_length(note) BETWEEN 1 AND 2000),
        reviewed_at timestamptz NOT NULL DEFAULT now(),
        review_decision_id uuid NOT NULL
      )`);
    await queryRunner.query(`
      CREATE TABLE audit_verifications (
        id bigserial PRIMARY KEY,
        verified_at timestamptz NOT NULL DEFAULT now(),
        verified_by text NOT NULL,
        ok boolean NOT NULL,
        tree_size bigint NOT NULL,
        problem text,
        first_bad_index bigint
      )`);
    await queryRunner.query(
      'CREATE INDEX audit_entries_break_glass ON audit_entries (id) WHERE break_glass',
    );
    await queryRunner.query(
      'CREATE INDEX audit_entries_denied ON audit_entries (id) WHERE NOT allowed',
    );
    await queryRunner.query('CREATE INDEX audit_entries_action ON audit_entries (action, id)');
    await queryRunner.query(
      'CREATE INDEX audit_entries_caller_jurisdiction ON audit_entries (caller_jurisdiction, id)',
    );
    await grantRuntime(queryRunner, { appendOnly: ['audit_reviews', 'audit_verifications'] });
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX audit_entries_caller_jurisdiction');
    await queryRunner.query('DROP INDEX audit_entries_action');
    await queryRunner.query('DROP INDEX audit_entries_denied');
    await queryRunner.query('DROP INDEX audit_entries_break_glass');
    await queryRunner.query('DROP TABLE audit_verifications');
    await queryRunner.query('DROP TABLE audit_reviews');
  }
}
