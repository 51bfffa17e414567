import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../src/platform/paths.js';
import { run } from '../local-stack/child-process.js';

const BIN = join(PROJECT_ROOT, '.tools', 'bin');

/** The infra tools, pinned; each installed into .tools/bin (Go) or the user's Python on first use. */
const GO_TOOLS = {
  helm: 'helm.sh/helm/v3/cmd/helm@v3.22.0',
  conftest: 'github.com/open-policy-agent/conftest@v0.71.1',
  hclfmt: 'github.com/hashicorp/hcl/v2/cmd/hclfmt@v2.25.0',
} as const;
export const CHECKOV_REQUIREMENT = 'checkov==3.3.30';

export async function ensureGoTool(
  name: keyof typeof GO_TOOLS,
  log: (m: string) => void,
): Promise<string> {
  const binary = join(BIN, name);
  if (existsSync(binary)) return binary;
  log(`installing ${GO_TOOLS[name]} with go install (first run only)...`);
  mkdirSync(BIN, { recursive: true });
  await run('go', ['install', GO_TOOLS[name]], {
    env: { ...process.env, GOBIN: BIN, CGO_ENABLED: '0' },
  });
  return binary;
}

export async function ensureCheckov(log: (m: string) => void): Promise<string> {
  const python = process.env['PYTHON'] ?? 'python3';
  try {
    await run(python, ['-m', 'checkov.main', '--version']);
  } catch {
    log(`installing ${CHECKOV_REQUIREMENT} with pip (first run only)...`);
    await run(python, [
      '-m',
      'pip',
      'install',
      '--quiet',
      '--disable-pip-version-check',
      CHECKOV_REQUIREMENT,
    ]);
  }
  return python;
}
