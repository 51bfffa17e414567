import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BenchStack } from '../../bench/bench-stack.js';
import { cellEnvironments, type CellPorts } from '../local-stack/cells.js';
import { ensureDevCellPki } from '../local-stack/dev-cell-pki.js';
import { freePort } from '../local-stack/free-port.js';
import { measure, successRate, type Fault, type FaultResult } from './fault-measure.js';
import { SteadyLoad, type LoadTarget } from './load.js';

/** The cell the faults hit, and the one the load calls (which forwards to the others). */
const PEER = 'us-east-1';
const ENTRY = 'eu-central-1';
const PEER_TIMEOUT_MS = 1000;

export interface CellPhase {
  readonly results: FaultResult[];
  readonly load: SteadyLoad;
}

/**
 * The cell topology's own faults: the same stores served by one gateway process per region,
 * with steady load sent to the eu-central-1 cell about subjects of every region (the cell
 * forwards to the others over mutual TLS). The us-east-1 cell is then frozen (SIGSTOP: it
 * accepts connections and never answers) and killed, each held and healed. us-east-1's
 * requests must fail with 503 within the peer timeout; the EU cell's own region and the
 * us-west-2 peer must keep serving; the EU cell must stay ready.
 */
export async function runCellFaults(
  stack: BenchStack,
  targets: readonly LoadTarget[],
  options: { holdSeconds: number; perRegion: number; recoveryTargetMs: number },
): Promise<CellPhase> {
  await stack.stopGateways();
  const regions = stack.config.regions;
  const tls = await ensureDevCellPki(
    join(stack.dir, 'cells'),
    regions.map((region) => region.id),
  );
  const ports = new Map<string, CellPorts>();
  // The public port is chosen when each cell starts; peers only need each other's peer port.
  for (const region of regions) ports.set(region.id, { port: 0, peerPort: await freePort() });
  const environments = cellEnvironments(regions, ports, tls, {
    GATEWAY_WORKERS: '1',
    GATEWAY_PEER_TIMEOUT_MS: String(PEER_TIMEOUT_MS),
    GATEWAY_BREAKER_OPEN_MS: '1000',
  });
  const envOf = (region: string): Record<string, string> => {
    const env = environments.get(region);
    if (env === undefined) throw new Error(`no cell ${region}`);
    return env;
  };
  const cells = new Map<string, { url: string; pid: number }>();
  for (const region of regions) cells.set(region.id, await stack.startGateway(envOf(region.id)));
  const entry = cells.get(ENTRY);
  if (entry === undefined) throw new Error('no entry cell');

  // Reads and writes only: a create's home region is chosen among the jurisdiction's cells.
  const load = new SteadyLoad(entry.url, targets, options.perRegion, { creates: false });
  load.start();
  const baselineFrom = performance.now();
  await sleep(options.holdSeconds * 1000);
  const goals = {
    affectedRegion: PEER,
    baselineSuccess: successRate(
      load.samples.filter((s) => s.at - s.ms >= baselineFrom && s.region !== PEER),
    ),
    recoveryTargetMs: options.recoveryTargetMs,
  };
  const pidOf = (region: string): number => cells.get(region)?.pid ?? 0;
  const readiness: string[] = [];
  const entryStaysReady = async (): Promise<void> => {
    const ready = await fetch(`${entry.url}/readyz`);
    const body = (await ready.json()) as { regions?: Record<string, { state?: string }> };
    if (ready.status !== 200 || body.regions?.[PEER]?.state !== 'degraded')
      readiness.push(
        `readyz ${String(ready.status)}, ${PEER} ${body.regions?.[PEER]?.state ?? '?'}`,
      );
  };
  const faults: Fault[] = [
    {
      name: `peer cell hangs (${PEER} SIGSTOP)`,
      affects: 'region',
      timeoutMs: PEER_TIMEOUT_MS,
      inject: async () => {
        process.kill(pidOf(PEER), 'SIGSTOP');
        await sleep(PEER_TIMEOUT_MS * 2);
        await entryStaysReady();
      },
      heal: () => {
        process.kill(pidOf(PEER), 'SIGCONT');
        return Promise.resolve();
      },
      check: () => Promise.resolve(readiness.length === 0 ? undefined : readiness.join('; ')),
    },
    {
      name: `peer cell killed (${PEER} SIGKILL, restarted)`,
      affects: 'region',
      timeoutMs: PEER_TIMEOUT_MS,
      inject: async () => {
        process.kill(pidOf(PEER), 'SIGKILL');
        await sleep(500);
        await entryStaysReady();
      },
      heal: async () => {
        cells.set(PEER, await stack.startGateway(envOf(PEER)));
      },
      check: () => Promise.resolve(readiness.length === 0 ? undefined : readiness.join('; ')),
    },
  ];
  const results: FaultResult[] = [];
  for (const fault of faults) {
    process.stderr.write(`fault: ${fault.name} ...\n`);
    const from = performance.now();
    await fault.inject();
    await sleep(options.holdSeconds * 1000);
    await fault.heal();
    const healedAt = performance.now();
    await sleep(options.recoveryTargetMs + 1000);
    const result = measure(fault, load.samples, { from, to: healedAt, healedAt }, goals);
    const late = load.samples.filter(
      (s) => s.region === PEER && s.at - s.ms >= healedAt && (s.status === 0 || s.status >= 500),
    );
    if (late.length > 0)
      process.stderr.write(
        `  after healing: ${String(late.length)} failed, the last ${String(Math.round(Math.max(...late.map((s) => s.at - s.ms)) - healedAt))} ms after (${[...new Set(late.map((s) => s.code))].join(', ')})\n`,
      );
    const problem = await fault.check?.();
    results.push(problem === undefined ? result : { ...result, ok: false, problem });
  }
  await load.stop();
  return { results, load };
}
