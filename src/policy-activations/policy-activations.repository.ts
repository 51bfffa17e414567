import type { EntityManager } from 'typeorm';
import type { BundleIdentity } from '../policy/policy-snapshot.js';

/** The bundles activated in one region's store (`policy_activations`, append-only). */
export class PolicyActivationsRepository {
  /** The highest build any gateway activated here (0 when none did), and its revisions. */
  async highest(manager: EntityManager): Promise<{ build: number; revisions: string[] }> {
    const rows = await manager.query<{ build: string; revision: string }[]>(
      `SELECT build::text AS build, revision FROM policy_activations
        WHERE build = (SELECT max(build) FROM policy_activations)
        GROUP BY build, revision`,
    );
    return { build: Number(rows[0]?.build ?? 0), revisions: rows.map((row) => row.revision) };
  }

  async record(manager: EntityManager, bundle: BundleIdentity, instance: string): Promise<void> {
    await manager.query(
      `INSERT INTO policy_activations (build, revision, bundle_digest, source_commit, instance)
       VALUES ($1, $2, $3, $4, $5)`,
      [bundle.build, bundle.revision, bundle.digest, bundle.commit, instance],
    );
  }
}
