import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';
import { createGatewayApp } from '../src/app.factory.js';
import { loadGatewayConfig } from '../src/platform/config/config.loader.js';
import { PROJECT_ROOT } from '../src/platform/paths.js';
import { BenchStack } from './bench-stack.js';

/**
 * `npm run bench:profile -- read|write`: a CPU profile of one gateway process under load (16
 * connections for 8 s, from autocannon in a separate process), with the top costs by module
 * and by function printed, and the .cpuprofile written under bench/results/ (open it in Chrome
 * DevTools or speedscope for a flame graph).
 */
interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

function moduleOf(url: string, fallback: string): string {
  if (url.includes('node_modules/')) {
    const rest = url.split('node_modules/')[1] ?? '';
    return rest
      .split('/')
      .slice(0, rest.startsWith('@') ? 2 : 1)
      .join('/');
  }
  if (url.includes('/dist/'))
    return `app:${(url.split('/dist/')[1] ?? '').split('/').slice(0, 2).join('/')}`;
  return url === '' ? fallback : url;
}

async function main(): Promise<void> {
  const mode = process.argv[2] === 'write' ? 'write' : 'read';
  const stack = await BenchStack.start({ regions: [{ id: 'eu-central-1', jurisdiction: 'EU' }] });
  const app = await createGatewayApp(loadGatewayConfig({ ...stack.env, GATEWAY_WORKERS: '1' }), {
    logDestination: { write: () => undefined },
  });
  try {
    await app.listen({ host: '127.0.0.1', port: 0 });
    const base = await app.getUrl();
    const token = await stack.token('eu-central-1');
    const headers = {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      'x-purpose': 'service-delivery',
    };
    const subject = (await (
      await fetch(`${base}/v1/subjects`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ country: 'DE' }),
      })
    ).json()) as { subjectId: string };
    // Reads: a profile; writes: a 1 KiB message.
    const url =
      mode === 'read'
        ? `${base}/v1/subjects/${subject.subjectId}/records/profile/main`
        : `${base}/v1/subjects/${subject.subjectId}/records/direct_message/m1`;
    const document = JSON.stringify(
      mode === 'read'
        ? {
            displayName: 'Bench User',
            email: 'q@example.org',
            phone: '+1 555 0100',
            birthDate: '1990-01-01',
          }
        : {
            conversationId: 'c-1',
            senderId: 'u-1',
            recipientId: 'u-2',
            body: 'm'.repeat(1024),
            sentAt: '2026-11-27T00:00:00Z',
          },
    );
    const seeded = await fetch(url, { method: 'PUT', headers, body: document });
    if (seeded.status !== 201) throw new Error(`seeding answered ${String(seeded.status)}`);

    const session = new Session();
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: 200 });
    await session.post('Profiler.start');
    const args = [
      join(PROJECT_ROOT, 'node_modules', 'autocannon', 'autocannon.js'),
      '-c',
      '16',
      '-d',
      '8',
      '-j',
    ];
    for (const [name, value] of Object.entries(headers)) args.push('-H', `${name}=${value}`);
    // Writes replace one record: its row lock is part of what is measured (see bench:e2e for
    // writes spread over subjects and records).
    if (mode === 'write') args.push('-m', 'PUT', '-b', document);
    args.push(url);
    const load = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'ignore'] });
    let output = '';
    load.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await once(load, 'close');
    const { profile } = await session.post('Profiler.stop');
    const result = JSON.parse(output) as {
      requests: { average: number };
      latency: { p50: number; p99: number };
      non2xx: number;
    };
    process.stdout.write(
      `${mode}: ${result.requests.average.toFixed(0)} req/s, p50 ${String(result.latency.p50)} ms, p99 ${String(result.latency.p99)} ms, non-2xx ${String(result.non2xx)}\n`,
    );
    const nodes = new Map((profile.nodes as ProfileNode[]).map((node) => [node.id, node]));
    const bySelf = new Map<string, number>();
    const byModule = new Map<string, number>();
    let total = 0;
    (profile.samples ?? []).forEach((id, i) => {
      const node = nodes.get(id);
      if (node === undefined) return;
      const delta = profile.timeDeltas?.[i] ?? 0;
      total += delta;
      const { functionName, url: source, lineNumber } = node.callFrame;
      const fn = `${functionName || '(anonymous)'} ${source.split('/').slice(-2).join('/')}:${String(lineNumber)}`;
      bySelf.set(fn, (bySelf.get(fn) ?? 0) + delta);
      const module = moduleOf(source, functionName);
      byModule.set(module, (byModule.get(module) ?? 0) + delta);
    });
    const top = (map: Map<string, number>, n: number) =>
      [...map.entries()]
        .sort((a, b) => b[1] - a[1])
        .slice(0, n)
        .map(
          ([name, us]) =>
            `  ${(us / 1000).toFixed(0).padStart(6)} ms  ${((us / total) * 100).toFixed(1).padStart(5)} %  ${name}`,
        )
        .join('\n');
    process.stdout.write(
      `\nby module (of ${(total / 1000).toFixed(0)} ms sampled):\n${top(byModule, 20)}\n`,
    );
    process.stdout.write(`\nby function (self time):\n${top(bySelf, 25)}\n`);
    const dir = join(PROJECT_ROOT, 'bench', 'results');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `profile-${mode}.cpuprofile`);
    writeFileSync(file, JSON.stringify(profile));
    process.stdout.write(`\nwrote ${file}\n`);
  } finally {
    await app.close();
    await stack.stop();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(
    `${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
