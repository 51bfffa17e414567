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
  ENTRYPOINT,
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

async function build(signingKey: string, out: string): Promise<void> {
  mkdirSync(dirname(out), { recursive: true });
  await opa([
    'build',
    '--target',
    'wasm',
    '--entrypoint',
    ENTRYPOINT,
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

function contentDigests(archive: Buffer): Map<string, string> {
  const digests = new Map<string, string>();
  for (const [name, content] of readTarGz(archive)) {
    if (name !== '.signatures.json')
      digests.set(name, createHash('sha256').update(content).digest('hex'));
  }
  return digests;
}

async function stale(): Promise<void> {
  const committed = readFileSync(BUNDLE_FILE);
  await verifyBundle(committed, createPublicKey(readFileSync(DEV_PUBLIC_KEY)));
  const dir = mkdtempSync(join(tmpdir(), 'policy-build-'));
  try {
    const fresh = join(dir, 'bundle.tar.gz');
    await build(DEV_SIGNING_KEY, fresh);
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
      await build(option('--signing-key') ?? DEV_SIGNING_KEY, out);
      say(`built ${relative(PROJECT_ROOT, out)} (revision ${sourceRevision()})`);
      return;
    }
    case 'stale':
      return stale();
    default:
      throw new Error(
        'usage: policy-tool capabilities | check | build [--signing-key pem] [--out file] | stale',
      );
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
