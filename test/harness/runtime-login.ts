import pg from 'pg';
import { runtimeLoginRoleSql } from '../../src/platform/database/runtime-role.js';

/** The login role the test gateways connect as (a member of the runtime group role). */
export const TEST_RUNTIME_LOGIN = 'residency_app';

/** Creates the runtime roles on a PostgreSQL server (idempotent; safe to run concurrently). */
export async function ensureRuntimeLogin(adminUrl: string, password: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    for (const sql of runtimeLoginRoleSql(TEST_RUNTIME_LOGIN, password)) {
      for (let attempt = 0; ; attempt++) {
        try {
          await client.query(sql);
          break;
        } catch (error) {
          // Two files creating the same cluster-wide role at once: retry once it settled.
          if (attempt >= 5) throw error;
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      }
    }
  } finally {
    await client.end();
  }
}
