import type { CellTlsFiles } from './dev-cell-pki.js';

/** What a cell is given of its own region: its store (runtime role) and its KMS key, nothing else. */
export interface CellRegion {
  readonly id: string;
  readonly jurisdiction: string;
  readonly databaseUrl: string;
  readonly kmsKeyId: string;
  readonly kmsEndpoint?: string | undefined;
  readonly poolSize?: number | undefined;
}

export interface CellPorts {
  /** The public API (plain HTTP on loopback). */
  readonly port: number;
  /** The mTLS listener other cells forward to. */
  readonly peerPort: number;
}

/**
 * The environment of each cell of a three-cell (or any) topology: its own region only in
 * GATEWAY_TOPOLOGY (store and key), the others as GATEWAY_PEERS (id, jurisdiction and the URL
 * of their peer port — never a database URL or a key), its certificate and the cells' CA.
 * `common` carries what every cell shares (token keys, policy key, log settings).
 */
export function cellEnvironments(
  regions: readonly CellRegion[],
  ports: ReadonlyMap<string, CellPorts>,
  tls: ReadonlyMap<string, CellTlsFiles>,
  common: Readonly<Record<string, string>>,
): Map<string, Record<string, string>> {
  const environments = new Map<string, Record<string, string>>();
  for (const region of regions) {
    const own = ports.get(region.id);
    const files = tls.get(region.id);
    if (own === undefined || files === undefined)
      throw new Error(`no ports or certificate for cell ${region.id}`);
    const peers = regions
      .filter((other) => other.id !== region.id)
      .map((other) => ({
        id: other.id,
        jurisdiction: other.jurisdiction,
        gatewayUrl: `https://127.0.0.1:${String(ports.get(other.id)?.peerPort ?? 0)}`,
      }));
    environments.set(region.id, {
      ...common,
      HOST: '127.0.0.1',
      PORT: String(own.port),
      GATEWAY_PEER_PORT: String(own.peerPort),
      GATEWAY_INSTANCE_ID: `cell-${region.id}`,
      GATEWAY_TOPOLOGY: JSON.stringify({
        regions: [
          {
            id: region.id,
            jurisdiction: region.jurisdiction,
            databaseUrl: region.databaseUrl,
            kmsKeyId: region.kmsKeyId,
            ...(region.kmsEndpoint === undefined ? {} : { kmsEndpoint: region.kmsEndpoint }),
            ...(region.poolSize === undefined ? {} : { poolSize: region.poolSize }),
          },
        ],
      }),
      GATEWAY_PEERS: JSON.stringify(peers),
      GATEWAY_CELL_CERT_FILE: files.certFile,
      GATEWAY_CELL_KEY_FILE: files.keyFile,
      GATEWAY_CELL_CA_FILE: files.caFile,
    });
  }
  return environments;
}

/** What a child process needs from this one to run node at all; nothing about regions. */
export function baseProcessEnv(): Record<string, string> {
  const keep = ['PATH', 'HOME', 'TMPDIR', 'LANG', 'TZ', 'NODE_OPTIONS'];
  return Object.fromEntries(
    keep
      .map((name) => [name, process.env[name]] as const)
      .filter((entry): entry is readonly [string, string] => entry[1] !== undefined),
  );
}
