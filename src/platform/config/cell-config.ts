import { readFileSync } from 'node:fs';
import { z } from 'zod';
import {
  JURISDICTION_PATTERN,
  REGION_ID_PATTERN,
  type CellConfig,
  type PeerConfig,
  type RegionConfig,
} from './gateway-config.js';

/** The environment variables of a cell (part of the gateway's one env schema). */
export const cellEnv = {
  GATEWAY_PEERS: z.string().min(1).optional(),
  GATEWAY_PEER_PORT: z.coerce.number().int().min(0).max(65535).default(8443),
  GATEWAY_PEER_TIMEOUT_MS: z.coerce.number().int().min(50).max(60_000).default(2000),
  GATEWAY_PEER_CONNECTIONS: z.coerce.number().int().min(1).max(1024).default(64),
  GATEWAY_CELL_CERT_FILE: z.string().min(1).optional(),
  GATEWAY_CELL_KEY_FILE: z.string().min(1).optional(),
  GATEWAY_CELL_CA_FILE: z.string().min(1).optional(),
  GATEWAY_CELL_TLS_RELOAD_SECONDS: z.coerce.number().min(1).max(3600).default(30),
};

type CellEnv = z.infer<z.ZodObject<typeof cellEnv>>;

const peerSchema = z.strictObject({
  id: z.string().regex(REGION_ID_PATTERN, 'must look like us-east-1'),
  jurisdiction: z
    .string()
    .regex(JURISDICTION_PATTERN, 'must be an upper-case code such as US or EU'),
  gatewayUrl: z.url({ protocol: /^https$/ }),
  placementWeight: z.number().min(0).max(1000).default(1),
});

const peersSchema = z.array(peerSchema);

/**
 * GATEWAY_PEERS: the other cells (id, jurisdiction, gatewayUrl). Public data, never a store
 * credential or a key: a peer entry with anything else is refused, as is one naming a region
 * this process serves itself.
 */
export function parsePeers(
  raw: string | undefined,
  regions: readonly RegionConfig[],
  problems: string[],
): PeerConfig[] {
  if (raw === undefined) return [];
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    problems.push('GATEWAY_PEERS: not valid JSON');
    return [];
  }
  const parsed = peersSchema.safeParse(json);
  if (!parsed.success) {
    problems.push(
      ...parsed.error.issues.map(
        (issue) => `GATEWAY_PEERS.${issue.path.map(String).join('.')}: ${issue.message}`,
      ),
    );
    return [];
  }
  const local = new Set(regions.map((region) => region.id));
  const seen = new Set<string>();
  for (const peer of parsed.data) {
    if (local.has(peer.id)) {
      problems.push(`GATEWAY_PEERS: ${peer.id} is served by this process (it is in the topology)`);
    }
    if (seen.has(peer.id)) problems.push(`GATEWAY_PEERS: ${peer.id} is listed twice`);
    seen.add(peer.id);
  }
  return parsed.data.map((peer) => ({ ...peer }));
}

/** The mTLS settings of a cell: required as soon as it has peers. */
export function cellConfig(
  values: CellEnv,
  peers: readonly PeerConfig[],
  resolvePath: (path: string) => string,
  problems: string[],
): CellConfig | undefined {
  const files = {
    GATEWAY_CELL_CERT_FILE: values.GATEWAY_CELL_CERT_FILE,
    GATEWAY_CELL_KEY_FILE: values.GATEWAY_CELL_KEY_FILE,
    GATEWAY_CELL_CA_FILE: values.GATEWAY_CELL_CA_FILE,
  };
  const missing = Object.entries(files).filter(([, value]) => value === undefined);
  if (peers.length === 0 && missing.length === 3) return undefined;
  if (missing.length > 0) {
    problems.push(
      `a cell talks to its peers over mutual TLS: set ${missing.map(([name]) => name).join(', ')}`,
    );
    return undefined;
  }
  for (const [name, value] of Object.entries(files)) {
    try {
      readFileSync(resolvePath(value ?? ''));
    } catch {
      problems.push(`${name}: cannot read ${value ?? ''}`);
    }
  }
  return {
    peerPort: values.GATEWAY_PEER_PORT,
    certFile: resolvePath(files.GATEWAY_CELL_CERT_FILE ?? ''),
    keyFile: resolvePath(files.GATEWAY_CELL_KEY_FILE ?? ''),
    caFile: resolvePath(files.GATEWAY_CELL_CA_FILE ?? ''),
    peerTimeoutMs: values.GATEWAY_PEER_TIMEOUT_MS,
    peerConnections: values.GATEWAY_PEER_CONNECTIONS,
    tlsReloadMs: values.GATEWAY_CELL_TLS_RELOAD_SECONDS * 1000,
  };
}
