import { parentPort } from 'node:worker_threads';
import { checkLeafPage } from './leaf-check.js';

/** The worker side of LeafChecker: one page in, the first failure (or null) out. */
parentPort?.on('message', (page: { first: number; leaves: string; columns: string[] }) => {
  const leaves = page.leaves === '' ? [] : page.leaves.split('\n');
  parentPort?.postMessage(checkLeafPage(page.first, leaves, page.columns) ?? null);
});
