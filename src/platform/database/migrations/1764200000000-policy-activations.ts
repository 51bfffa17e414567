import type { MigrationInterface, QueryRunner } from 'typeorm';
import { grantRuntime } from '../runtime-role.js';

/**
 * Every policy bundle a gateway activated in this region, with its signed build number: the
 * floor a restarted gateway may not go below (a bundle rollback is refused even across
 * restarts), and for auditors, which bundle was in force when. Append-only for the gateway.
 */
export class PolicyActivations1764200000000 implements MigrationInterface {
  name = 'PolicyActivations1764200000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE policy_activations (
        id bigserial PRIMARY KEY,
        build bigint NOT NULL CHECK (build >= 0),
        revision text NOT NULL,
        bundle_digest text NOT NULL,
        source_commit text,
        instance text NOT NULL,
        activated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query('CREATE INDEX policy_activations_build ON policy_activations (build)');
    await queryRunner.query(
      `CREATE TRIGGER policy_activations_append_only BEFORE UPDATE OR DELETE ON policy_activations
       FOR EACH ROW EXECUTE FUNCTION audit_append_only()`,
    );
    await grantRuntime(queryRunner, { appendOnly: ['policy_activations'] });
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE policy_activations');
  }
}
