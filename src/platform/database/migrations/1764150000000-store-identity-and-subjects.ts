import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The store-identity table (which region this database belongs to) and the subjects table.
 * A trigger makes the store itself refuse a subject homed in another region, so residency
 * does not rest on the gateway's routing alone.
 */
export class StoreIdentityAndSubjects1764150000000 implements MigrationInterface {
  name = 'StoreIdentityAndSubjects1764150000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE store_identity (
        singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
        region text NOT NULL,
        jurisdiction text NOT NULL,
        recorded_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`
      CREATE TABLE subjects (
        id text PRIMARY KEY,
        home_region text NOT NULL,
        jurisdiction text NOT NULL,
        country char(2) NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        erased_at timestamptz
      )`);
    await queryRunner.query(`
      CREATE FUNCTION enforce_home_region() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        store_region text;
      BEGIN
        SELECT region INTO store_region FROM store_identity;
        IF store_region IS NULL OR NEW.home_region IS DISTINCT FROM store_region THEN
          RAISE EXCEPTION 'row homed in % refused by the store of region %', NEW.home_region, store_region
            USING ERRCODE = 'check_violation';
        END IF;
        RETURN NEW;
      END
      $$`);
    await queryRunner.query(`
      CREATE TRIGGER subjects_home_region BEFORE INSERT OR UPDATE ON subjects
      FOR EACH ROW EXECUTE FUNCTION enforce_home_region()`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TRIGGER subjects_home_region ON subjects');
    await queryRunner.query('DROP FUNCTION enforce_home_region()');
    await queryRunner.query('DROP TABLE subjects');
    await queryRunner.query('DROP TABLE store_identity');
  }
}
