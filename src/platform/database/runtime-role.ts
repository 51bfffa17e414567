import type { QueryRunner } from 'typeorm';

/**
 * The group role the gateway's login role belongs to. Migrations (run as the owner) grant it
 * exactly what the running gateway needs; on the audit log that is reading and appending, never
 * changing. Deployments create a login role in it (the local stack and tests do the same).
 */
export const RUNTIME_ROLE = 'residency_gateway_runtime';

export interface RuntimeGrants {
  readonly select?: readonly string[];
  /** SELECT, INSERT, UPDATE. */
  readonly readWrite?: readonly string[];
  /** SELECT, INSERT, UPDATE, DELETE. */
  readonly readWriteDelete?: readonly string[];
  /** SELECT, INSERT only. */
  readonly appendOnly?: readonly string[];
  /** SELECT, INSERT, DELETE (work queues). */
  readonly queues?: readonly string[];
}

/** Grants the runtime role its privileges on tables a migration creates (and sequences). */
export async function grantRuntime(queryRunner: QueryRunner, grants: RuntimeGrants): Promise<void> {
  const grant = async (privileges: string, tables: readonly string[] | undefined) => {
    if (tables === undefined || tables.length === 0) return;
    await queryRunner.query(`GRANT ${privileges} ON ${tables.join(', ')} TO ${RUNTIME_ROLE}`);
  };
  await queryRunner.query(`GRANT USAGE ON SCHEMA public TO ${RUNTIME_ROLE}`);
  await grant('SELECT', grants.select);
  await grant('SELECT, INSERT, UPDATE', grants.readWrite);
  await grant('SELECT, INSERT, UPDATE, DELETE', grants.readWriteDelete);
  await grant('SELECT, INSERT', grants.appendOnly);
  await grant('SELECT, INSERT, DELETE', grants.queues);
  await queryRunner.query(
    `GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO ${RUNTIME_ROLE}`,
  );
}

/** SQL that creates the runtime group role and a login role in it, if missing (local stack, tests). */
export function runtimeLoginRoleSql(login: string, password: string): string[] {
  const quoted = password.replace(/'/g, "''");
  return [
    `DO $$ BEGIN CREATE ROLE ${RUNTIME_ROLE} NOLOGIN;
     EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$`,
    `DO $$ BEGIN CREATE ROLE ${login} LOGIN PASSWORD '${quoted}' IN ROLE ${RUNTIME_ROLE};
     EXCEPTION WHEN duplicate_object OR unique_violation THEN
       ALTER ROLE ${login} LOGIN PASSWORD '${quoted}';
     END $$`,
    `GRANT ${RUNTIME_ROLE} TO ${login}`,
  ];
}
