import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { PROJECT_ROOT } from '../../src/platform/paths.js';

export const POLICIES_DIR = join(PROJECT_ROOT, 'policies');
export const BUNDLE_SOURCE_DIR = join(POLICIES_DIR, 'bundle');
export const CAPABILITIES_FILE = join(POLICIES_DIR, 'capabilities.json');
export const BUNDLE_FILE = join(POLICIES_DIR, 'dist', 'bundle.tar.gz');
export const DEV_SIGNING_KEY = join(POLICIES_DIR, 'keys', 'dev-bundle-signing.key.pem');
export const DEV_PUBLIC_KEY = join(POLICIES_DIR, 'keys', 'dev-bundle-signing.pub.pem');
/** Compiled into the wasm: the gateway's decision, and the explanation for policy authors. */
export const ENTRYPOINTS = ['residency/decision', 'residency/explain'];

/** Files that go into the bundle: Rego (not tests) and data documents. */
export function bundleSourceFiles(): string[] {
  return readdirSync(BUNDLE_SOURCE_DIR, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name))
    .filter(
      (file) => (file.endsWith('.rego') && !file.endsWith('_test.rego')) || file.endsWith('.json'),
    )
    .sort();
}

/**
 * The bundle revision: a digest of every source file and the capabilities, so the same
 * sources always give the same revision and any change gives a new one.
 */
export function sourceRevision(): string {
  const hash = createHash('sha256');
  for (const file of [...bundleSourceFiles(), CAPABILITIES_FILE]) {
    hash.update(relative(PROJECT_ROOT, file)).update('\0').update(readFileSync(file)).update('\0');
  }
  return `src-${hash.digest('hex').slice(0, 16)}`;
}
