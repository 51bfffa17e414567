import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The repository root. Compiled files live in dist/src/platform, so the root is three levels
 * above this file's folder at run time (and two in the TypeScript sources, which nothing runs).
 */
export const PROJECT_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** Where the local stack and dev tools keep state (git-ignored). */
export const LOCAL_STATE_DIR = join(PROJECT_ROOT, '.local');
