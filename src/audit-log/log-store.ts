import type { EntityManager } from 'typeorm';
import { rangeNodes, foldRange, type Range, type TreeNode } from './merkle.js';

export interface StoredCheckpoint {
  readonly size: number;
  readonly root: Buffer;
  /** The signed note, as signed (no cosignatures). */
  readonly note: string;
  readonly signedAt: Date;
}

export interface StoredCosignature {
  readonly witness: string;
  /** The note signature line, ending in a newline. */
  readonly line: string;
  readonly cosignedAt: Date;
}

/** A leaf with what verification compares it to. */
export interface VerifiedLeafRow {
  readonly index: number;
  /** The leaf as text (its bytes are UTF-8 JSON; text skips the driver's bytea decoding). */
  readonly leaf: string;
  /** The level-0 hash stored for this index (what proofs are built from). */
  readonly storedHash: Buffer | null;
  /** The entry's filter columns, packed as {@link packColumns} packs them. */
  readonly columns: string;
}

/** SQL twin of packColumns: the stored filter columns as one string. */
const PACKED_COLUMNS = `concat_ws(chr(31), e.decision_id::text,
  to_char(e.logged_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
  e.caller_service, coalesce(e.caller_jurisdiction, chr(30)), array_to_string(e.subject_ids, chr(29)),
  e.action, coalesce(e.purpose, chr(30)), e.allowed::text, e.break_glass::text, e.bundle_revision)`;

const nodeKey = (node: TreeNode): string => `${String(node.level)}/${String(node.index)}`;

/**
 * The transparency log's tables in one region's store: the queue, leaves, complete subtree
 * hashes, checkpoints and cosignatures. SQL, because the log is append-only and sized by its
 * row count: every read here is a primary-key lookup or an index range.
 */
export class LogStore {
  /** Leaves integrated so far (the next leaf index). */
  async treeSize(manager: EntityManager): Promise<number> {
    const rows = await manager.query<{ size: string }[]>(
      'SELECT coalesce(max(leaf_index) + 1, 0)::text AS size FROM audit_leaves',
    );
    return Number(rows[0]?.size ?? 0);
  }

  /** Stored subtree hashes; throws if any is missing (a tree that cannot serve a proof). */
  async nodes(manager: EntityManager, nodes: readonly TreeNode[]): Promise<Map<string, Buffer>> {
    const found = new Map<string, Buffer>();
    if (nodes.length === 0) return found;
    const rows = await manager.query<{ level: number; idx: string; hash: Buffer }[]>(
      `SELECT t.level, t.idx::text AS idx, t.hash FROM audit_tree t
       JOIN unnest($1::smallint[], $2::bigint[]) AS want(level, idx)
         ON t.level = want.level AND t.idx = want.idx`,
      [nodes.map((n) => n.level), nodes.map((n) => String(n.index))],
    );
    for (const row of rows) found.set(`${String(row.level)}/${row.idx}`, row.hash);
    for (const node of nodes) {
      if (!found.has(nodeKey(node)))
        throw new Error(`the log has no stored hash at level ${String(node.level)}`);
    }
    return found;
  }

  /** The MTH of each range (as the RFC's proof recursions produce them), from stored nodes. */
  async rangeHashes(manager: EntityManager, ranges: readonly Range[]): Promise<Buffer[]> {
    const perRange = ranges.map(([lo, hi]) => rangeNodes(lo, hi));
    const hashes = await this.nodes(manager, perRange.flat());
    return perRange.map((nodes) => foldRange(nodes.map((n) => hashes.get(nodeKey(n)) as Buffer)));
  }

  /** Committed entries waiting for a leaf index, oldest first. */
  async pending(
    manager: EntityManager,
    limit: number,
  ): Promise<{ entryId: string; leaf: Buffer; loggedAt: Date }[]> {
    const rows = await manager.query<{ entry_id: string; leaf: Buffer; logged_at: Date }[]>(
      `SELECT p.entry_id::text AS entry_id, e.leaf, e.logged_at FROM audit_pending p
       JOIN audit_entries e ON e.id = p.entry_id ORDER BY p.entry_id LIMIT $1`,
      [limit],
    );
    return rows.map((row) => ({ entryId: row.entry_id, leaf: row.leaf, loggedAt: row.logged_at }));
  }

  /** Records integrated leaves and completed subtrees, and takes them off the queue. */
  async integrate(
    manager: EntityManager,
    first: number,
    entryIds: readonly string[],
    nodes: readonly { node: TreeNode; hash: Buffer }[],
  ): Promise<void> {
    await manager.query(
      `INSERT INTO audit_leaves (leaf_index, entry_id)
       SELECT $1::bigint + i - 1, e FROM unnest($2::bigint[]) WITH ORDINALITY AS t(e, i)`,
      [first, entryIds],
    );
    await manager.query(
      `INSERT INTO audit_tree (level, idx, hash)
       SELECT * FROM unnest($1::smallint[], $2::bigint[], $3::bytea[])`,
      [
        nodes.map((n) => n.node.level),
        nodes.map((n) => String(n.node.index)),
        nodes.map((n) => n.hash),
      ],
    );
    await manager.query('DELETE FROM audit_pending WHERE entry_id = ANY($1::bigint[])', [entryIds]);
  }

  async insertCheckpoint(
    manager: EntityManager,
    size: number,
    root: Buffer,
    note: string,
  ): Promise<void> {
    await manager.query(
      'INSERT INTO audit_checkpoints (tree_size, root_hash, note) VALUES ($1, $2, $3)',
      [size, root, note],
    );
  }

  async latestCheckpoint(manager: EntityManager): Promise<StoredCheckpoint | undefined> {
    return (await this.checkpoints(manager, { newestFirst: true, limit: 1 }))[0];
  }

  async checkpoint(manager: EntityManager, size: number): Promise<StoredCheckpoint | undefined> {
    const rows = await manager.query<CheckpointRow[]>(
      `SELECT ${CHECKPOINT_COLUMNS} FROM audit_checkpoints WHERE tree_size = $1`,
      [size],
    );
    return rows[0] === undefined ? undefined : toCheckpoint(rows[0]);
  }

  /** Checkpoints by size, oldest first unless asked otherwise. */
  async checkpoints(
    manager: EntityManager,
    options: { afterSize?: number; limit?: number; newestFirst?: boolean } = {},
  ): Promise<StoredCheckpoint[]> {
    const rows = await manager.query<CheckpointRow[]>(
      `SELECT ${CHECKPOINT_COLUMNS} FROM audit_checkpoints WHERE tree_size > $1
       ORDER BY audit_checkpoints.tree_size ${options.newestFirst === true ? 'DESC' : 'ASC'} LIMIT $2`,
      [options.afterSize ?? 0, options.limit ?? 1000],
    );
    return rows.map(toCheckpoint);
  }

  async cosignatures(manager: EntityManager, size: number): Promise<StoredCosignature[]> {
    const rows = await manager.query<{ witness: string; line: string; cosigned_at: Date }[]>(
      'SELECT witness, line, cosigned_at FROM audit_cosignatures WHERE tree_size = $1 ORDER BY witness',
      [size],
    );
    return rows.map((row) => ({
      witness: row.witness,
      line: row.line,
      cosignedAt: row.cosigned_at,
    }));
  }

  /** Stores a cosignature; a witness's second one for the same size changes nothing. */
  async insertCosignature(
    manager: EntityManager,
    size: number,
    cosignature: StoredCosignature,
  ): Promise<boolean> {
    const rows = await manager.query<{ tree_size: string }[]>(
      `INSERT INTO audit_cosignatures (tree_size, witness, line, cosigned_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (tree_size, witness) DO NOTHING RETURNING tree_size::text`,
      [size, cosignature.witness, cosignature.line, cosignature.cosignedAt],
    );
    return rows.length === 1;
  }

  /** Where a decision is in the log: its leaf, and its index once integrated. */
  async leafOfDecision(
    manager: EntityManager,
    decisionId: string,
  ): Promise<{ leaf: Buffer; index: number | undefined } | undefined> {
    const rows = await manager.query<{ leaf: Buffer; leaf_index: string | null }[]>(
      `SELECT e.leaf, l.leaf_index::text AS leaf_index FROM audit_entries e
       LEFT JOIN audit_leaves l ON l.entry_id = e.id WHERE e.decision_id = $1`,
      [decisionId],
    );
    const row = rows[0];
    if (row === undefined) return undefined;
    return { leaf: row.leaf, index: row.leaf_index === null ? undefined : Number(row.leaf_index) };
  }

  /** Leaves [start, start + count) in index order. */
  async leaves(
    manager: EntityManager,
    start: number,
    count: number,
  ): Promise<{ index: number; leaf: Buffer }[]> {
    const rows = await manager.query<{ leaf_index: string; leaf: Buffer }[]>(
      `SELECT l.leaf_index::text AS leaf_index, e.leaf FROM audit_leaves l
       JOIN audit_entries e ON e.id = l.entry_id
       WHERE l.leaf_index >= $1 AND l.leaf_index < $2 ORDER BY l.leaf_index`,
      [start, start + count],
    );
    return rows.map((row) => ({ index: Number(row.leaf_index), leaf: row.leaf }));
  }

  /** Stored level-0 hashes of leaves [start, end), in index order. */
  async leafHashes(manager: EntityManager, start: number, end: number): Promise<Buffer[]> {
    const rows = await manager.query<{ hash: Buffer }[]>(
      'SELECT hash FROM audit_tree WHERE level = 0 AND idx >= $1 AND idx < $2 ORDER BY idx',
      [start, end],
    );
    return rows.map((row) => row.hash);
  }

  /**
   * Leaves [from, from + limit) with everything verification checks, in index order. The stored
   * level-0 hashes come from their own range scan (cheaper than a third join), matched by index.
   */
  async verificationPage(
    manager: EntityManager,
    from: number,
    limit: number,
  ): Promise<VerifiedLeafRow[]> {
    const select = (leaf: string) =>
      manager.query<{ leaf_index: string; leaf: string | Buffer; columns: string }[]>(
        `SELECT l.leaf_index::text AS leaf_index, ${leaf} AS leaf, ${PACKED_COLUMNS} AS columns
         FROM audit_leaves l JOIN audit_entries e ON e.id = l.entry_id
         WHERE l.leaf_index >= $1 AND l.leaf_index < $2 ORDER BY l.leaf_index`,
        [from, from + limit],
      );
    const [rows, hashes] = await Promise.all([
      // A leaf that is not UTF-8 (tampered bytes) fails the text form: read that page as bytes.
      select("convert_from(e.leaf, 'UTF8')").catch(() => select('e.leaf')),
      manager.query<{ idx: string; hash: Buffer }[]>(
        'SELECT idx::text AS idx, hash FROM audit_tree WHERE level = 0 AND idx >= $1 AND idx < $2',
        [from, from + limit],
      ),
    ]);
    const stored = new Map(hashes.map((row) => [Number(row.idx), row.hash]));
    return rows.map((row) => {
      const index = Number(row.leaf_index);
      const leaf = typeof row.leaf === 'string' ? row.leaf : row.leaf.toString('utf8');
      return { index, leaf, storedHash: stored.get(index) ?? null, columns: row.columns };
    });
  }

  /**
   * Entries not in the tree yet, those of them not even queued (they would never be
   * integrated), and when the oldest was logged: one statement, so one consistent snapshot.
   */
  async backlog(
    manager: EntityManager,
  ): Promise<{ pending: number; unqueued: number; oldest: Date | null }> {
    const rows = await manager.query<{ pending: string; unqueued: string; oldest: Date | null }[]>(
      `SELECT count(*)::text AS pending,
              count(*) FILTER (WHERE NOT EXISTS (SELECT 1 FROM audit_pending p WHERE p.entry_id = e.id))::text AS unqueued,
              min(e.logged_at) AS oldest
       FROM audit_entries e WHERE NOT EXISTS (SELECT 1 FROM audit_leaves l WHERE l.entry_id = e.id)`,
    );
    return {
      pending: Number(rows[0]?.pending ?? 0),
      unqueued: Number(rows[0]?.unqueued ?? 0),
      oldest: rows[0]?.oldest ?? null,
    };
  }

  /** Integration delay (commit → in a signed checkpoint) of recent leaves, in milliseconds. */
  async recentDelays(manager: EntityManager, limit: number): Promise<number[]> {
    const rows = await manager.query<{ ms: string }[]>(
      `SELECT extract(epoch FROM (c.signed_at - e.logged_at)) * 1000 AS ms
       FROM (SELECT * FROM audit_leaves ORDER BY leaf_index DESC LIMIT $1) l
       JOIN audit_entries e ON e.id = l.entry_id
       JOIN LATERAL (SELECT signed_at FROM audit_checkpoints WHERE tree_size > l.leaf_index
                     ORDER BY tree_size LIMIT 1) c ON true`,
      [limit],
    );
    // numeric arrives as text
    return rows.map((row) => Number(row.ms));
  }
}

interface CheckpointRow {
  tree_size: string;
  root_hash: Buffer;
  note: string;
  signed_at: Date;
}

const CHECKPOINT_COLUMNS = 'tree_size::text AS tree_size, root_hash, note, signed_at';

const toCheckpoint = (row: CheckpointRow): StoredCheckpoint => ({
  size: Number(row.tree_size),
  root: row.root_hash,
  note: row.note,
  signedAt: row.signed_at,
});
