import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../src/platform/paths.js';
import { run } from '../local-stack/child-process.js';

/** Pinned: the fuzzer's own behaviour (which checks, which cases) is part of what CI asserts. */
export const SCHEMATHESIS_VERSION = '4.32.5';
const VENV = join(PROJECT_ROOT, '.tools', `schemathesis-${SCHEMATHESIS_VERSION}`);

/**
 * The schemathesis CLI, installed on first use from PyPI into a virtualenv of its own under
 * .tools/ (so its dependencies never meet moto's or the system's).
 */
export async function ensureSchemathesis(log: (message: string) => void): Promise<string> {
  const cli = join(VENV, 'bin', 'schemathesis');
  if (existsSync(cli)) return cli;
  const python = process.env['PYTHON'] ?? 'python3';
  log(`installing schemathesis ${SCHEMATHESIS_VERSION} into ${VENV} ...`);
  await run(python, ['-m', 'venv', VENV]);
  await run(join(VENV, 'bin', 'python'), [
    '-m',
    'pip',
    'install',
    '--quiet',
    '--disable-pip-version-check',
    `schemathesis==${SCHEMATHESIS_VERSION}`,
  ]);
  return cli;
}

export const HOOKS_DIR = join(PROJECT_ROOT, 'tools', 'fuzz');
