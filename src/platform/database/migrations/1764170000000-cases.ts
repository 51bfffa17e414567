import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Cases (user reports, legal requests), stored in the home region of the subjects they name.
 * Like every row about a subject, a case is refused by a store of another region.
 */
export class Cases1764170000000 implements MigrationInterface {
  name = 'Cases1764170000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE cases (
        id text PRIMARY KEY,
        kind text NOT NULL CHECK (kind IN ('user-report', 'legal-request')),
        status text NOT NULL CHECK (status IN ('open', 'approved', 'closed')),
        subject_ids text[] NOT NULL CHECK (cardinality(subject_ids) > 0),
        reference text,
        opened_by text NOT NULL,
        opened_at timestamptz NOT NULL DEFAULT now(),
        approved_by text,
        approved_at timestamptz,
        closed_by text,
        closed_at timestamptz,
        CHECK (approved_by IS NULL OR approved_by <> opened_by)
      )`);
    await queryRunner.query(`
      CREATE FUNCTION enforce_case_region() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        store_region text;
      BEGIN
        SELECT region INTO store_region FROM store_identity;
        IF store_region IS NULL OR split_part(NEW.id, '.', 2) IS DISTINCT FROM store_region
           OR EXISTS (SELECT 1 FROM unnest(NEW.subject_ids) s WHERE split_part(s, '.', 2) <> store_region) THEN
          RAISE EXCEPTION 'case of another region refused by the store of region %', store_region
            USING ERRCODE = 'check_violation';
        END IF;
        RETURN NEW;
      END
      $$`);
    await queryRunner.query(`
      CREATE TRIGGER cases_region BEFORE INSERT OR UPDATE ON cases
      FOR EACH ROW EXECUTE FUNCTION enforce_case_region()`);
    await queryRunner.query('CREATE INDEX cases_subjects ON cases USING gin (subject_ids)');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE cases');
    await queryRunner.query('DROP FUNCTION enforce_case_region()');
  }
}
