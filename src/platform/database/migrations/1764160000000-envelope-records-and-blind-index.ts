import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Wrapped subject keys, encrypted records, blind-index entries, the region's own wrapped keys
 * (the blind-index key) and key-rewrap job progress. Every row naming a subject is refused by
 * the store unless the subject id is homed in this store's region.
 */
export class EnvelopeRecordsAndBlindIndex1764160000000 implements MigrationInterface {
  name = 'EnvelopeRecordsAndBlindIndex1764160000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    // An erased subject keeps a tombstone (id, region, times) and loses everything else.
    await queryRunner.query('ALTER TABLE subjects ALTER COLUMN country DROP NOT NULL');
    await queryRunner.query(`
      CREATE FUNCTION enforce_subject_region() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        store_region text;
      BEGIN
        SELECT region INTO store_region FROM store_identity;
        IF store_region IS NULL OR split_part(NEW.subject_id, '.', 2) IS DISTINCT FROM store_region THEN
          RAISE EXCEPTION 'row of a subject homed in % refused by the store of region %',
            split_part(NEW.subject_id, '.', 2), store_region USING ERRCODE = 'check_violation';
        END IF;
        RETURN NEW;
      END
      $$`);
    await queryRunner.query(`
      CREATE TABLE subject_keys (
        subject_id text PRIMARY KEY REFERENCES subjects (id),
        key_version integer NOT NULL CHECK (key_version > 0),
        wrapped_key bytea NOT NULL,
        kms_key_id text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        wrapped_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`
      CREATE TABLE records (
        subject_id text NOT NULL REFERENCES subjects (id),
        collection text NOT NULL,
        record_id text NOT NULL,
        version integer NOT NULL CHECK (version > 0),
        key_version integer NOT NULL,
        envelope bytea NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (subject_id, collection, record_id)
      )`);
    await queryRunner.query(`
      CREATE TABLE blind_index (
        subject_id text NOT NULL,
        collection text NOT NULL,
        record_id text NOT NULL,
        field text NOT NULL,
        hash bytea NOT NULL,
        PRIMARY KEY (subject_id, collection, record_id, field),
        FOREIGN KEY (subject_id, collection, record_id)
          REFERENCES records (subject_id, collection, record_id) ON DELETE CASCADE
      )`);
    await queryRunner.query(
      'CREATE INDEX blind_index_lookup ON blind_index (collection, field, hash)',
    );
    await queryRunner.query(`
      CREATE TABLE region_keys (
        purpose text PRIMARY KEY,
        key_version integer NOT NULL CHECK (key_version > 0),
        wrapped_key bytea NOT NULL,
        kms_key_id text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        wrapped_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`
      CREATE TABLE key_rewrap_jobs (
        id bigserial PRIMARY KEY,
        kms_key_id text NOT NULL,
        started_at timestamptz NOT NULL DEFAULT now(),
        finished_at timestamptz,
        last_subject_id text,
        rewrapped integer NOT NULL DEFAULT 0,
        total integer NOT NULL
      )`);
    for (const table of ['subject_keys', 'records', 'blind_index']) {
      await queryRunner.query(`
        CREATE TRIGGER ${table}_subject_region BEFORE INSERT OR UPDATE ON ${table}
        FOR EACH ROW EXECUTE FUNCTION enforce_subject_region()`);
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE key_rewrap_jobs');
    await queryRunner.query('DROP TABLE region_keys');
    await queryRunner.query('DROP TABLE blind_index');
    await queryRunner.query('DROP TABLE records');
    await queryRunner.query('DROP TABLE subject_keys');
    await queryRunner.query('DROP FUNCTION enforce_subject_region()');
    await queryRunner.query("UPDATE subjects SET country = '--' WHERE country IS NULL");
    await queryRunner.query('ALTER TABLE subjects ALTER COLUMN country SET NOT NULL');
  }
}
