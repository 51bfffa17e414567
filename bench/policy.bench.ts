import { spawn } from 'node:child_process';
import { createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PolicyInput } from '../src/policy/decision.js';
import { verifyBundle } from '../src/policy/bundle-verifier.js';
import { WasmPolicyEngine } from '../src/policy/wasm-policy-engine.js';
import { PROJECT_ROOT } from '../src/platform/paths.js';
import { freePort } from '../tools/local-stack/free-port.js';
import { sleep, stopProcess } from '../tools/local-stack/child-process.js';
import { ensureOpa } from '../tools/policy/opa-cli.js';
import { printTable } from './bench-runner.js';

/**
 * `npm run bench:policy`: latency of in-process decisions (opa-wasm on the signed bundle) over
 * 100k representative inputs, against OPA's own REST server (`opa run --server` on loopback,
 * the sidecar pattern) deciding the same inputs in the same run.
 * Target: in-process p99 ≤ 200 µs and ≥ 10× faster than the sidecar.
 */
const IN_PROCESS_DECISIONS = 100_000;
const SIDECAR_DECISIONS = 10_000;

const subject = {
  subject: 's1.us-east-1.0123456789abcdefghjkmnpqrs',
  homeRegion: 'us-east-1',
  jurisdiction: 'US',
};
const profileFields = [
  'displayName',
  'username',
  'email',
  'phone',
  'birthDate',
  'country',
  'createdAt',
];
const messageFields = ['conversationId', 'senderId', 'recipientId', 'body', 'sentAt'];
const openCase = {
  id: 'c1.us-east-1.0123456789abcdefghjkmnpqrs',
  kind: 'user-report',
  status: 'open',
  names_subject: true,
  jurisdiction: 'US',
  opened_by: 'svc:trust-safety',
};
const caller = (service: string, region: string, jurisdiction: string, roles: string[]) => ({
  service,
  region,
  jurisdiction,
  roles,
});
const now = '2026-11-26T12:00:00Z';

/** A mix like production traffic: same-region reads, cross-border reads, recommendation, moderation, writes, denials. */
const INPUTS: PolicyInput[] = [
  {
    caller: caller('svc:feed', 'us-east-1', 'US', ['service']),
    action: 'read',
    purpose: 'service-delivery',
    case: null,
    resource: { ...subject, collection: 'profile', fields: profileFields },
    now,
  },
  {
    caller: caller('svc:feed', 'eu-central-1', 'EU', ['service']),
    action: 'read',
    purpose: 'service-delivery',
    case: null,
    resource: { ...subject, collection: 'profile', fields: profileFields },
    now,
  },
  {
    caller: caller('svc:recs', 'eu-central-1', 'EU', ['service']),
    action: 'read',
    purpose: 'recommendation',
    case: null,
    resource: { ...subject, collection: 'direct_message', fields: messageFields },
    now,
  },
  {
    caller: caller('svc:moderation', 'us-west-2', 'US', ['moderator']),
    action: 'read',
    purpose: 'moderation',
    case: openCase,
    resource: { ...subject, collection: 'direct_message', fields: messageFields },
    now,
  },
  {
    caller: caller('svc:feed', 'us-east-1', 'US', ['service']),
    action: 'write',
    purpose: 'service-delivery',
    case: null,
    resource: { ...subject, collection: 'watch_event', fields: ['videoId', 'watchedMs', 'at'] },
    now,
  },
  {
    caller: caller('svc:feed', 'eu-central-1', 'EU', ['service']),
    action: 'read',
    purpose: 'service-delivery',
    case: null,
    resource: { ...subject, collection: 'direct_message', fields: ['body'] },
    now,
  },
  {
    caller: caller('svc:audit', 'us-east-1', 'US', ['auditor']),
    action: 'read',
    purpose: 'service-delivery',
    case: null,
    resource: { ...subject, collection: 'profile', fields: profileFields },
    now,
  },
];

function pick(i: number): PolicyInput {
  const input = INPUTS[i % INPUTS.length];
  if (input === undefined) throw new Error('no inputs');
  return input;
}

function percentile(sortedMicros: Float64Array, p: number): number {
  return (
    sortedMicros[Math.min(sortedMicros.length - 1, Math.floor((p / 100) * sortedMicros.length))] ??
    0
  );
}

function summarize(micros: Float64Array): { p50: number; p99: number; mean: number } {
  const sorted = Float64Array.from(micros).sort();
  const mean = sorted.reduce((sum, v) => sum + v, 0) / sorted.length;
  return { p50: percentile(sorted, 50), p99: percentile(sorted, 99), mean };
}

async function main(): Promise<void> {
  const bundle = await verifyBundle(
    readFileSync(join(PROJECT_ROOT, 'policies', 'dist', 'bundle.tar.gz')),
    createPublicKey(
      readFileSync(join(PROJECT_ROOT, 'policies', 'keys', 'dev-bundle-signing.pub.pem')),
    ),
  );
  const engine = await WasmPolicyEngine.load(bundle, { initialPages: 16, maximumPages: 256 });

  for (let i = 0; i < 5000; i++) engine.evaluate(pick(i));
  const inProcess = new Float64Array(IN_PROCESS_DECISIONS);
  for (let i = 0; i < IN_PROCESS_DECISIONS; i++) {
    const input = pick(i);
    const started = process.hrtime.bigint();
    engine.evaluate(input);
    inProcess[i] = Number(process.hrtime.bigint() - started) / 1000;
  }

  const opa = await ensureOpa((m) => process.stderr.write(`${m}\n`));
  const port = await freePort();
  const server = spawn(
    opa,
    [
      'run',
      '--server',
      '--addr',
      `127.0.0.1:${String(port)}`,
      '--log-level',
      'error',
      '--bundle',
      join(PROJECT_ROOT, 'policies', 'bundle'),
    ],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  const sidecar = new Float64Array(SIDECAR_DECISIONS);
  try {
    const url = `http://127.0.0.1:${String(port)}/v1/data/residency/decision`;
    for (let attempt = 0; ; attempt++) {
      try {
        if ((await fetch(`http://127.0.0.1:${String(port)}/health`)).ok) break;
      } catch {
        if (attempt > 100) throw new Error('opa run --server did not start');
      }
      await sleep(100);
    }
    const ask = async (input: PolicyInput): Promise<void> => {
      const response = await fetch(url, {
        method: 'POST',
        body: JSON.stringify({ input }),
        headers: { 'content-type': 'application/json' },
      });
      const body = (await response.json()) as { result?: { allow?: boolean } };
      if (typeof body.result?.allow !== 'boolean')
        throw new Error('the sidecar returned no decision');
    };
    for (let i = 0; i < 500; i++) await ask(pick(i));
    for (let i = 0; i < SIDECAR_DECISIONS; i++) {
      const started = process.hrtime.bigint();
      await ask(pick(i));
      sidecar[i] = Number(process.hrtime.bigint() - started) / 1000;
    }
  } finally {
    await stopProcess(server, 'SIGTERM', 5000);
  }

  const a = summarize(inProcess);
  const b = summarize(sidecar);
  const fmt = (micros: number): string => `${micros.toFixed(1)} µs`;
  process.stdout.write(
    `\npolicy benchmark: ${String(INPUTS.length)} representative inputs, node ${process.version}, OPA from ${opa}\n\n`,
  );
  printTable([
    ['', 'decisions', 'p50', 'p99', 'mean'],
    ['in-process (opa-wasm)', String(IN_PROCESS_DECISIONS), fmt(a.p50), fmt(a.p99), fmt(a.mean)],
    ['OPA REST sidecar (loopback)', String(SIDECAR_DECISIONS), fmt(b.p50), fmt(b.p99), fmt(b.mean)],
    [
      'ratio (sidecar / in-process)',
      '',
      `${(b.p50 / a.p50).toFixed(1)}×`,
      `${(b.p99 / a.p99).toFixed(1)}×`,
      `${(b.mean / a.mean).toFixed(1)}×`,
    ],
  ]);
  const met = a.p99 <= 200 && b.p99 / a.p99 >= 10;
  process.stdout.write(
    `\ntarget: in-process p99 ≤ 200 µs and ≥ 10× faster than the sidecar: ${met ? 'met' : 'NOT met'}\n`,
  );
}

main().catch((error: unknown) => {
  process.stderr.write(
    `${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
