import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../src/platform/paths.js';
import { run } from '../local-stack/child-process.js';

/** The OPA release the policies are built and tested with. Bump deliberately. */
export const OPA_VERSION = 'v1.22.3';
const TOOLS_BIN = join(PROJECT_ROOT, '.tools', 'bin');

/**
 * The pinned OPA CLI: `OPA_BIN` if set, else `.tools/bin/opa`, built with `go install` on first
 * use (a minute or two; cached afterwards).
 */
export async function ensureOpa(log: (message: string) => void = () => undefined): Promise<string> {
  const override = process.env['OPA_BIN'];
  if (override !== undefined) return override;
  const opa = join(TOOLS_BIN, 'opa');
  if (existsSync(opa)) {
    const version = await run(opa, ['version']).catch(() => '');
    if (version.includes(`Version: ${OPA_VERSION.slice(1)}`)) return opa;
  }
  log(`installing the OPA CLI ${OPA_VERSION} with go install (first run only)...`);
  mkdirSync(TOOLS_BIN, { recursive: true });
  await run('go', ['install', `github.com/open-policy-agent/opa@${OPA_VERSION}`], {
    env: { ...process.env, GOBIN: TOOLS_BIN, CGO_ENABLED: '0' },
  });
  return opa;
}
