import type { EntityManager } from 'typeorm';

export interface SqlResult<T> {
  readonly rows: T[];
  /** Rows inserted, updated or deleted. */
  readonly affected: number;
}

/**
 * Runs one statement and returns its rows and affected-row count alike for every command.
 * (TypeORM's plain `query` returns `[rows, count]` for UPDATE/DELETE and `rows` otherwise.)
 * Uses the manager's transaction when it has one.
 */
export async function execute<T = unknown>(
  manager: EntityManager,
  sql: string,
  params: unknown[] = [],
): Promise<SqlResult<T>> {
  const runner = manager.queryRunner ?? manager.dataSource.createQueryRunner();
  try {
    const result = await runner.query(sql, params, true);
    return { rows: result.records as T[], affected: result.affected ?? 0 };
  } finally {
    if (manager.queryRunner === undefined) await runner.release();
  }
}
