import { createHash, createPublicKey } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { readTarGz } from '../../src/policy/bundle-archive.js';
import { verifyBundle } from '../../src/policy/bundle-verifier.js';
import { PROJECT_ROOT } from '../../src/platform/paths.js';
import { run } from '../local-stack/child-process.js';
import { ensureOpa } from './opa-cli.js';
import {
  BUNDLE_FILE,
  BUNDLE_SOURCE_DIR,
  CAPABILITIES_FILE,
  DEV_PUBLIC_KEY,
  DEV_SIGNING_KEY,
  ENTRYPOINTS,
  sourceRevision,
} from './policy-sources.js';

/**
 * Policy tasks, all with the pinned OPA CLI:
 *   capabilities  regenerate policies/capabilities.json (built-ins the opa-wasm SDK can run)
 *   check         opa fmt, opa check --strict against the capabilities, opa test
 *   build         the signed wasm bundle policies/dist/bundle.tar.gz (--signing-key, --out)
 *   stale         fail if the committed bundle does not match a fresh build of the sources
 */
const say = (message: string): void => {
  process.stderr.write(`[policy] ${message}\n`);
};

async function opa(args: string[]): Promise<string> {
  return run(await ensureOpa(say), args, { cwd: PROJECT_ROOT });
}

async function capabilities(): Promise<void> {
  const current = JSON.parse(await opa(['capabilities', '--current'])) as {
    builtins: { name: string }[];
  };
  const sdkFile = join(
    PROJECT_ROOT,
    'node_modules',
    '@open-policy-agent',
    'opa-wasm',
    'capabilities.json',
  );
  const sdk = JSON.parse(readFileSync(sdkFile, 'utf8')) as { builtins: { name: string }[] };
  const runnable = new Set(sdk.builtins.map((builtin) => builtin.name));
  const limited = {
    ...current,
    builtins: current.builtins.filter((builtin) => runnable.has(builtin.name)),
  };
  writeFileSync(CAPABILITIES_FILE, JSON.stringify(limited, null, 2) + '\n');
  say(
    `wrote ${relative(PROJECT_ROOT, CAPABILITIES_FILE)}: ${String(limited.builtins.length)} built-ins`,
  );
}

async function check(): Promise<void> {
  const dir = relative(PROJECT_ROOT, BUNDLE_SOURCE_DIR);
  const unformatted = (await opa(['fmt', '--list', dir])).trim();
  if (unformatted !== '') throw new Error(`not opa-fmt formatted:\n${unformatted}`);
  await opa([
    'check',
    '--strict',
    '--capabilities',
    relative(PROJECT_ROOT, CAPABILITIES_FILE),
    dir,
  ]);
  process.stdout.write(await opa(['test', '--v0-compatible=false', dir]));
}

interface BuildStamp {
  /** Strictly increasing: gateways refuse a bundle whose build is not above the one they run. */
  readonly build: number;
  /** The git commit the sources were built from (`-dirty` when they differ from it). */
  readonly commit: string;
}

/** The committed bundle's build number and revision (what a new build must exceed). */
async function committedStamp(): Promise<{ build: number; revision: string } | undefined> {
  try {
    const bundle = await verifyBundle(
      readFileSync(BUNDLE_FILE),
      createPublicKey(readFileSync(DEV_PUBLIC_KEY)),
    );
    return { build: bundle.build, revision: bundle.revision };
  } catch {
    return undefined;
  }
}

async function gitCommit(): Promise<string> {
  try {
    const head = (await run('git', ['rev-parse', 'HEAD'], { cwd: PROJECT_ROOT })).trim();
    const dirty = (
      await run(
        'git',
        ['status', '--porcelain', '--', 'policies/bundle', 'policies/capabilities.json'],
        {
          cwd: PROJECT_ROOT,
        },
      )
    ).trim();
    return dirty === '' ? head : `${head}-dirty`;
  } catch {
    return 'unknown';
  }
}

/**
 * The build number of a new build: --build N when given (CI passes its own increasing
 * counter), else the committed bundle's when the sources are unchanged, or one more.
 */
async function nextStamp(requested: string | undefined): Promise<BuildStamp> {
  const commit = await gitCommit();
  if (requested !== undefined) {
    const build = Number(requested);
    if (!Number.isSafeInteger(build) || build < 1)
      throw new Error('--build must be a positive integer');
    return { build, commit };
  }
  const committed = await committedStamp();
  if (committed === undefined) return { build: 1, commit };
  return {
    build: committed.revision === sourceRevision() ? committed.build : committed.build + 1,
    commit,
  };
}

async function build(signingKey: string, out: string, stamp: BuildStamp): Promise<void> {
  mkdirSync(dirname(out), { recursive: true });
  // The signed manifest carries the build number and source commit (OPA takes a .manifest in
  // the bundle directory; it exists only for the build and is not a source file).
  const manifest = join(BUNDLE_SOURCE_DIR, '.manifest');
  writeFileSync(
    manifest,
    JSON.stringify({
      revision: sourceRevision(),
      roots: [''],
      metadata: { build: stamp.build, commit: stamp.commit },
    }),
  );
  try {
    await buildWithManifest(signingKey, out);
  } finally {
    rmSync(manifest, { force: true });
  }
}

async function buildWithManifest(signingKey: string, out: string): Promise<void> {
  await opa([
    'build',
    '--target',
    'wasm',
    ...ENTRYPOINTS.flatMap((entrypoint) => ['--entrypoint', entrypoint]),
    '--capabilities',
    relative(PROJECT_ROOT, CAPABILITIES_FILE),
    '--bundle',
    relative(PROJECT_ROOT, BUNDLE_SOURCE_DIR),
    '--ignore',
    '*_test.rego',
    '--revision',
    sourceRevision(),
    '--signing-key',
    signingKey,
    '--signing-alg',
    'ES256',
    '--output',
    out,
  ]);
}

/** Each file's digest; the manifest's commit is left out (a rebuild is made at another commit). */
function contentDigests(archive: Buffer): Map<string, string> {
  const digests = new Map<string, string>();
  for (const [name, content] of readTarGz(archive)) {
    if (name === '.signatures.json') continue;
    let bytes = content;
    if (name === '.manifest') {
      const manifest = JSON.parse(content.toString('utf8')) as {
        metadata?: Record<string, unknown>;
      };
      delete manifest.metadata?.['commit'];
      bytes = Buffer.from(JSON.stringify(manifest));
    }
    digests.set(name, createHash('sha256').update(bytes).digest('hex'));
  }
  return digests;
}

async function stale(): Promise<void> {
  const committed = readFileSync(BUNDLE_FILE);
  const verified = await verifyBundle(committed, createPublicKey(readFileSync(DEV_PUBLIC_KEY)));
  const dir = mkdtempSync(join(tmpdir(), 'policy-build-'));
  try {
    const fresh = join(dir, 'bundle.tar.gz');
    await build(DEV_SIGNING_KEY, fresh, { build: verified.build, commit: 'ignored' });
    const want = contentDigests(readFileSync(fresh));
    const have = contentDigests(committed);
    const differing = [...new Set([...want.keys(), ...have.keys()])].filter(
      (name) => want.get(name) !== have.get(name),
    );
    if (differing.length > 0) {
      throw new Error(
        `policies/dist/bundle.tar.gz is stale (${differing.join(', ')} differ): run npm run policy:build and commit it`,
      );
    }
    say(`the committed bundle matches the sources (revision ${sourceRevision()})`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const [command, ...args] = process.argv.slice(2);
  const option = (name: string): string | undefined => {
    const index = args.indexOf(name);
    return index === -1 ? undefined : args[index + 1];
  };
  switch (command ?? '') {
    case 'capabilities':
      return capabilities();
    case 'check':
      return check();
    case 'build': {
      const out = option('--out') ?? BUNDLE_FILE;
      const stamp = await nextStamp(option('--build'));
      await build(option('--signing-key') ?? DEV_SIGNING_KEY, out, stamp);
      say(
        `built ${relative(PROJECT_ROOT, out)} (revision ${sourceRevision()}, build ${String(stamp.build)}, commit ${stamp.commit})`,
      );
      return;
    }
    case 'stale':
      return stale();
    default:
      throw new Error(
        'usage: policy-tool capabilities | check | build [--signing-key pem] [--out file] [--build N] | stale',
      );
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
