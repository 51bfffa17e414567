import pg from 'pg';

/**
 * Every row of every table of a store, as text (`bytea` as `\x` hex), the way an insider with
 * read access (or a leaked backup) sees it. A logical dump through the driver, so the tests
 * need no `pg_dump` binary; each table starts with a `-- table <name>` line.
 */
export async function dumpStore(databaseUrl: string): Promise<string> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const tables = await client.query<{ name: string }>(
      `SELECT quote_ident(table_schema) || '.' || quote_ident(table_name) AS name
       FROM information_schema.tables
       WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema')
       ORDER BY 1`,
    );
    const parts: string[] = [];
    for (const { name } of tables.rows) {
      parts.push(`-- table ${name}`);
      const rows = await client.query<{ row: string }>(`SELECT t::text AS row FROM ${name} t`);
      for (const { row } of rows.rows) parts.push(row);
    }
    return parts.join('\n');
  } finally {
    await client.end();
  }
}
