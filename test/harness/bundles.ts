import { generateKeyPairSync } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../src/platform/paths.js';
import { run } from '../../tools/local-stack/child-process.js';
import { harnessWorkDir, opaBinary } from './harness-state.js';

import { readTarGz } from '../../src/policy/bundle-archive.js';

export const COMMITTED_BUNDLE = join(PROJECT_ROOT, 'policies', 'dist', 'bundle.tar.gz');

/** The build number of the committed bundle: tests publish bundles relative to it. */
export function committedBuild(): number {
  const manifest = readTarGz(readFileSync(COMMITTED_BUNDLE)).get('.manifest');
  const build = (
    JSON.parse(manifest?.toString('utf8') ?? '{}') as { metadata?: { build?: number } }
  ).metadata?.build;
  if (typeof build !== 'number') throw new Error('the committed bundle has no build number');
  return build;
}

export const DEV_SIGNING_KEY = join(PROJECT_ROOT, 'policies', 'keys', 'dev-bundle-signing.key.pem');

export interface BundleBuild {
  /** The signed build number in the manifest. */
  readonly build: number;
  readonly revision: string;
  /** PEM private key (ES256); default: the development key. */
  readonly signingKey?: string;
  /** Changes the copied sources (the bundle directory) before the build. */
  readonly edit?: (bundleDir: string) => void;
}

/**
 * Builds a signed wasm bundle from a copy of `policies/bundle` with the pinned OPA CLI, the way
 * `npm run policy:build` does (same entrypoints, capabilities, manifest metadata), so tests can
 * publish newer, older and edited bundles.
 */
export async function buildBundle(out: string, options: BundleBuild): Promise<string> {
  const work = mkdtempSync(join(harnessWorkDir(), 'bundle-src-'));
  try {
    const source = join(work, 'bundle');
    cpSync(join(PROJECT_ROOT, 'policies', 'bundle'), source, { recursive: true });
    rmSync(join(source, '.manifest'), { force: true });
    options.edit?.(source);
    writeFileSync(
      join(source, '.manifest'),
      JSON.stringify({
        revision: options.revision,
        roots: [''],
        metadata: { build: options.build, commit: 'test' },
      }),
    );
    await run(
      opaBinary(),
      [
        'build',
        '--target',
        'wasm',
        '--entrypoint',
        'residency/decision',
        '--entrypoint',
        'residency/explain',
        '--capabilities',
        join(PROJECT_ROOT, 'policies', 'capabilities.json'),
        '--bundle',
        source,
        '--ignore',
        '*_test.rego',
        '--revision',
        options.revision,
        '--signing-key',
        options.signingKey ?? DEV_SIGNING_KEY,
        '--signing-alg',
        'ES256',
        '--output',
        out,
      ],
      { cwd: work },
    );
    return out;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** A fresh ES256 signing key (PEM file), for a bundle signed by someone else. */
export function otherSigningKey(dir: string): string {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const file = join(dir, 'other-signing.key.pem');
  writeFileSync(file, privateKey.export({ type: 'pkcs8', format: 'pem' }));
  return file;
}
