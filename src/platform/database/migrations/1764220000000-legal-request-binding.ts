import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A legal request names who may use its approval (`requester`, a service id), from which
 * jurisdiction (`requester_jurisdiction`) and until when (`expires_at`); the requester cannot
 * approve it. Legal requests opened before this existed get their opener as requester and are
 * expired at once: they must be opened and approved again, with the binding.
 */
export class LegalRequestBinding1764220000000 implements MigrationInterface {
  name = 'LegalRequestBinding1764220000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE cases
        ADD COLUMN requester text,
        ADD COLUMN requester_jurisdiction text,
        ADD COLUMN expires_at timestamptz`);
    await queryRunner.query(`
      UPDATE cases SET requester = opened_by, requester_jurisdiction = '', expires_at = opened_at
       WHERE kind = 'legal-request'`);
    await queryRunner.query(`
      ALTER TABLE cases
        ADD CONSTRAINT cases_legal_binding CHECK (
          kind <> 'legal-request'
          OR (requester IS NOT NULL AND requester_jurisdiction IS NOT NULL AND expires_at IS NOT NULL)),
        ADD CONSTRAINT cases_requester_not_approver CHECK (approved_by IS NULL OR approved_by <> requester)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE cases
        DROP CONSTRAINT cases_requester_not_approver,
        DROP CONSTRAINT cases_legal_binding,
        DROP COLUMN expires_at,
        DROP COLUMN requester_jurisdiction,
        DROP COLUMN requester`);
  }
}
