import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../src/platform/paths.js';
import { run } from '../local-stack/child-process.js';

const SOURCE = join(PROJECT_ROOT, 'tools', 'tlog-check');
const BIN = join(PROJECT_ROOT, '.tools', 'bin', 'tlog-check');

/**
 * The independent Go checker of the transparency log (tools/tlog-check), built with the
 * machine's Go into .tools/bin when its sources changed. Tests run it on what the gateway wrote.
 */
export async function ensureTlogCheck(
  log: (message: string) => void = () => undefined,
): Promise<string> {
  const hash = createHash('sha256');
  for (const name of readdirSync(SOURCE).sort()) {
    if (/\.(go|mod|sum)$/.test(name)) hash.update(name).update(readFileSync(join(SOURCE, name)));
  }
  const digest = hash.digest('hex');
  const stamp = `${BIN}.sha256`;
  if (existsSync(BIN) && existsSync(stamp) && readFileSync(stamp, 'utf8').trim() === digest)
    return BIN;
  log('building the Go transparency-log checker (tools/tlog-check)...');
  mkdirSync(join(PROJECT_ROOT, '.tools', 'bin'), { recursive: true });
  await run('go', ['build', '-C', SOURCE, '-o', BIN, '.'], {
    env: { ...process.env, CGO_ENABLED: '0', GOFLAGS: '-mod=readonly' },
  });
  writeFileSync(stamp, `${digest}\n`);
  return BIN;
}
