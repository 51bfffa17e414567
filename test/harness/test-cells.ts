import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { DEFAULT_AUDIENCE } from '../../src/platform/config/config.loader.js';
import { migrateAllRegions } from '../../src/platform/database/region-migrator.js';
import { PROJECT_ROOT } from '../../src/platform/paths.js';
import { LOCAL_AWS_CREDENTIALS } from '../../tools/local-stack/kms-keys.js';
import { sleep, stopProcess } from '../../tools/local-stack/child-process.js';
import { baseProcessEnv, cellEnvironments, type CellPorts } from '../../tools/local-stack/cells.js';
import { ensureDevCellPki, type CellTlsFiles } from '../../tools/local-stack/dev-cell-pki.js';
import { freePort } from '../../tools/local-stack/free-port.js';
import { harnessWorkDir } from './harness-state.js';
import { sendJson } from './http-client.js';
import { TestGateway, type RequestOptions, type TestResponse } from './test-gateway.js';
import { TestKeys } from './test-keys.js';
import { TestRegions } from './test-regions.js';

export interface TestCell {
  readonly region: string;
  readonly url: string;
  readonly peerUrl: string;
  readonly env: Readonly<Record<string, string>>;
  process: ChildProcess;
  output: string;
}

export interface TestCellsOptions {
  /** Extra environment for every cell. */
  readonly env?: Readonly<Record<string, string>>;
}

/**
 * Three cells as in production (DESIGN §4): one gateway process per region, each given only
 * its own region's store and KMS key, its certificate and its peers' peer-port URLs and CA; a
 * dev CA made for the test. Stores are fresh databases on the harness's servers.
 */
export class TestCells {
  private constructor(
    readonly regions: TestRegions,
    readonly keys: TestKeys,
    readonly tls: ReadonlyMap<string, CellTlsFiles>,
    private readonly cells: Map<string, TestCell>,
  ) {}

  static async start(options: TestCellsOptions = {}): Promise<TestCells> {
    const regions = await TestRegions.create();
    const keys = await TestKeys.create(harnessWorkDir());
    // Migrations as the owner, once, as ops would run them per region before the cells start.
    const all = TestGateway.config(regions, keys);
    const failed = (await migrateAllRegions(all)).filter((m) => !m.ok);
    if (failed.length > 0) throw new Error(`cell migrations failed: ${JSON.stringify(failed)}`);
    const tls = await ensureDevCellPki(
      join(harnessWorkDir(), `cells-${String(process.pid)}`),
      regions.regions.map((region) => region.id),
    );
    const ports = new Map<string, CellPorts>();
    for (const region of regions.regions) {
      ports.set(region.id, { port: await freePort(), peerPort: await freePort() });
    }
    const common = {
      ...baseProcessEnv(),
      GATEWAY_WORKERS: '1',
      GATEWAY_JWKS_FILE: keys.jwksFile,
      GATEWAY_JWT_ISSUER: keys.issuer,
      GATEWAY_JWT_AUDIENCE: DEFAULT_AUDIENCE,
      GATEWAY_DEVELOPMENT: 'true',
      GATEWAY_POLICY_PUBLIC_KEY_FILE: 'policies/keys/dev-bundle-signing.pub.pem',
      GATEWAY_AUDIT_SIGNING_KEY_FILE: TestGateway.checkpointKeyFile(),
      GATEWAY_AUDIT_INTEGRATION_MS: '50',
      GATEWAY_LOG_LEVEL: 'warn',
      GATEWAY_KMS_ACCESS_KEY_ID: LOCAL_AWS_CREDENTIALS.accessKeyId,
      GATEWAY_KMS_SECRET_ACCESS_KEY: LOCAL_AWS_CREDENTIALS.secretAccessKey,
      AWS_EC2_METADATA_DISABLED: 'true',
      ...options.env,
    };
    const environments = cellEnvironments(regions.regions, ports, tls, common);
    const cells = new Map<string, TestCell>();
    for (const [region, env] of environments) {
      cells.set(region, {
        region,
        url: `http://127.0.0.1:${env['PORT'] ?? ''}`,
        peerUrl: `https://127.0.0.1:${env['GATEWAY_PEER_PORT'] ?? ''}`,
        env,
        process: undefined as unknown as ChildProcess,
        output: '',
      });
    }
    const started = new TestCells(regions, keys, tls, cells);
    await Promise.all([...cells.keys()].map((region) => started.startCell(region)));
    return started;
  }

  cell(region: string): TestCell {
    const cell = this.cells.get(region);
    if (cell === undefined) throw new Error(`no cell ${region}`);
    return cell;
  }

  /** Starts (or restarts) the cell of `region` and waits until it is ready. */
  async startCell(region: string): Promise<void> {
    const cell = this.cell(region);
    cell.output = '';
    cell.process = spawn(process.execPath, [join(PROJECT_ROOT, 'dist', 'src', 'main.js')], {
      cwd: PROJECT_ROOT,
      env: cell.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const keep = (chunk: Buffer): void => {
      cell.output = (cell.output + chunk.toString()).slice(-20_000);
    };
    cell.process.stdout?.on('data', keep);
    cell.process.stderr?.on('data', keep);
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      if (cell.process.exitCode !== null)
        throw new Error(
          `cell ${region} exited (${String(cell.process.exitCode)}):\n${cell.output}`,
        );
      try {
        if ((await fetch(`${cell.url}/readyz`)).ok) return;
      } catch {
        // not listening yet
      }
      await sleep(100);
    }
    throw new Error(`cell ${region} not ready within 60 s:\n${cell.output}`);
  }

  async stopCell(region: string, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    await stopProcess(this.cell(region).process, signal, 10_000);
  }

  async token(...args: Parameters<TestKeys['token']>): Promise<string> {
    return this.keys.token(...args);
  }

  /** A request to the public API of the cell of `region`. */
  async request<T = unknown>(
    region: string,
    method: string,
    path: string,
    options: RequestOptions = {},
  ): Promise<TestResponse<T>> {
    return sendJson<T>(`${this.cell(region).url}${path}`, method, options);
  }

  async close(): Promise<void> {
    await Promise.all([...this.cells.keys()].map((region) => this.stopCell(region)));
    await this.regions.drop();
  }
}
