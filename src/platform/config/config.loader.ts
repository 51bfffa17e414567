import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { availableParallelism, hostname } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { z } from 'zod';
import { PROJECT_ROOT } from '../paths.js';
import { auditConfig, auditEnv } from './audit-config.js';
import { cellConfig, cellEnv, parsePeers } from './cell-config.js';
import { ConfigError } from './config.error.js';
import { httpLimitsEnv, jsonLimitsConfig, rateLimitConfig } from './http-limits-config.js';
import {
  JURISDICTION_PATTERN,
  PRINTABLE_ASCII,
  REGION_ID_PATTERN,
  type GatewayConfig,
  type JwksSource,
  type RegionConfig,
} from './gateway-config.js';

/** The `aud` service tokens must carry unless GATEWAY_JWT_AUDIENCE says otherwise. */
export const DEFAULT_AUDIENCE = 'residency-gateway';

/**
 * The `iss` of development tokens (the local stack, the tests, the dev `token` command): the
 * issuer a gateway expects when GATEWAY_DEVELOPMENT is set and GATEWAY_JWT_ISSUER is not.
 * Anywhere else GATEWAY_JWT_ISSUER is required.
 */
export const DEVELOPMENT_ISSUER = 'residency-gateway-dev';

/** The longest a service token may live (`exp - iat`) unless GATEWAY_JWT_MAX_LIFETIME_SECONDS says otherwise. */
export const DEFAULT_MAX_LIFETIME_SECONDS = 3600;

/** The most roles one service token may carry unless GATEWAY_JWT_MAX_ROLES says otherwise. */
export const DEFAULT_MAX_ROLES = 3;

/** `true`/`1`/`yes` or `false`/`0`/`no` (default false); anything else is an error. */
const booleanFlag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .default('false')
  .transform((value) => value === 'true' || value === '1' || value === 'yes');

/**
 * The environment variables the gateway reads. This file is the only place that touches
 * `process.env`; everything else receives a validated {@link GatewayConfig}.
 */
const envSchema = z.object({
  HOST: z.string().min(1).default('0.0.0.0'),
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  GATEWAY_INSTANCE_ID: z.string().min(1).max(128).optional(),
  GATEWAY_WORKERS: z.coerce.number().int().min(1).max(64).optional(),
  GATEWAY_REQUEST_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(5000),
  GATEWAY_SHUTDOWN_DRAIN_MS: z.coerce.number().int().min(0).max(120_000).default(0),
  GATEWAY_LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  GATEWAY_LOG_FORMAT: z.enum(['json', 'pretty']).default('json'),
  GATEWAY_BODY_LIMIT_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .max(64 * 1024 * 1024)
    .default(1024 * 1024),
  GATEWAY_TOPOLOGY_FILE: z.string().min(1).optional(),
  GATEWAY_TOPOLOGY: z.string().min(1).optional(),
  GATEWAY_JWKS_FILE: z.string().min(1).optional(),
  GATEWAY_JWKS_URL: z.url({ protocol: /^https?$/ }).optional(),
  GATEWAY_JWT_AUDIENCE: z.string().min(1).default(DEFAULT_AUDIENCE),
  GATEWAY_JWT_ISSUER: z
    .string()
    .max(256)
    .regex(PRINTABLE_ASCII, 'must be printable ASCII without spaces')
    .optional(),
  GATEWAY_JWT_CLOCK_TOLERANCE_SECONDS: z.coerce.number().int().min(0).max(300).default(5),
  GATEWAY_JWT_MAX_LIFETIME_SECONDS: z.coerce
    .number()
    .int()
    .min(60)
    .max(86_400)
    .default(DEFAULT_MAX_LIFETIME_SECONDS),
  GATEWAY_JWT_MAX_ROLES: z.coerce.number().int().min(1).max(16).default(DEFAULT_MAX_ROLES),
  GATEWAY_OIDC_ISSUER: z.url({ protocol: /^https?$/ }).optional(),
  GATEWAY_OIDC_JWKS_URL: z.url({ protocol: /^https?$/ }).optional(),
  GATEWAY_OIDC_AUDIENCE: z.string().min(1).max(256).default(DEFAULT_AUDIENCE),
  GATEWAY_OIDC_CLIENT_ID: z.string().min(1).max(256).optional(),
  GATEWAY_OIDC_SCOPE: z.string().min(1).max(512).default('openid profile'),
  GATEWAY_OIDC_RESOURCE: z.string().min(1).max(512).optional(),
  ...httpLimitsEnv,
  GATEWAY_DB_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
  GATEWAY_DB_CONNECT_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(3000),
  GATEWAY_DB_STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(5000),
  GATEWAY_DB_REQUEST_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(5000),
  GATEWAY_DB_MAX_WAITING: z.coerce.number().int().min(0).max(100_000).default(200),
  GATEWAY_POLICY_DATA_DIR: z.string().optional(),
  GATEWAY_POLICY_ALLOW_HTTP: booleanFlag,
  GATEWAY_DEVELOPMENT: booleanFlag,
  GATEWAY_POLICY_BUNDLE: z.string().min(1).default('policies/dist/bundle.tar.gz'),
  GATEWAY_POLICY_PUBLIC_KEY_FILE: z.string().min(1).optional(),
  GATEWAY_POLICY_RELOAD_SECONDS: z.coerce.number().min(0.1).max(3600).default(5),
  GATEWAY_POLICY_MEMORY_MAX_PAGES: z.coerce.number().int().min(8).max(16_384).default(256),
  GATEWAY_QUERY_REGION_TIMEOUT_MS: z.coerce.number().int().min(50).max(60_000).default(2000),
  GATEWAY_CURSOR_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  GATEWAY_CURSOR_SECRET_FILE: z.string().min(1).optional(),
  ...auditEnv,
  GATEWAY_KMS_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(3000),
  GATEWAY_KMS_MAX_IN_FLIGHT: z.coerce.number().int().min(1).max(10_000).default(128),
  GATEWAY_BREAKER_FAILURES: z.coerce.number().int().min(1).max(1000).default(5),
  GATEWAY_BREAKER_OPEN_MS: z.coerce.number().int().min(100).max(600_000).default(2000),
  GATEWAY_KEY_CACHE_MAX_ENTRIES: z.coerce.number().int().min(1).max(10_000_000).default(100_000),
  GATEWAY_KEY_CACHE_TTL_SECONDS: z.coerce.number().int().min(1).max(86_400).default(300),
  GATEWAY_BLIND_INDEX_BYTES: z.coerce.number().int().min(1).max(32).default(16),
  ...cellEnv,
  GATEWAY_KMS_ACCESS_KEY_ID: z.string().min(1).optional(),
  GATEWAY_KMS_SECRET_ACCESS_KEY: z.string().min(1).optional(),
});

const regionSchema = z.strictObject({
  id: z.string().regex(REGION_ID_PATTERN, 'must look like us-east-1'),
  jurisdiction: z
    .string()
    .regex(JURISDICTION_PATTERN, 'must be an upper-case code such as US or EU'),
  databaseUrl: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL'),
  migrationDatabaseUrl: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
    .optional(),
  kmsKeyId: z.string().min(1),
  kmsEndpoint: z.url({ protocol: /^https?$/ }).optional(),
  poolSize: z.number().int().min(1).max(200).optional(),
  placementWeight: z.number().min(0).max(1000).default(1),
  /** Where the region's own gateway (cell) answers: for tools reading the topology; unused here. */
  gatewayUrl: z.url({ protocol: /^https?$/ }).optional(),
});

const topologySchema = z.strictObject({
  regions: z.array(regionSchema).min(1, 'at least one region is required'),
});

type Env = Readonly<Record<string, string | undefined>>;

function describeIssues(prefix: string, error: z.ZodError): string[] {
  return error.issues.map((issue) => {
    const path = issue.path.map(String).join('.');
    return `${prefix}${path === '' ? '' : path}: ${issue.message}`;
  });
}

function resolvePath(path: string): string {
  return isAbsolute(path) ? path : join(PROJECT_ROOT, path);
}

export interface LoadOptions {
  /** Only what the stores need (regions, database): for the migrate CLI. Skips auth keys. */
  readonly storesOnly?: boolean;
  /**
   * The local stack's environment (a JSON object of variables written by `npm start`), used
   * underneath the real environment when that names no topology: the CLI then works against
   * the running local stack with nothing exported by hand.
   */
  readonly localStackEnvFile?: string;
}

/** The environment, or the local stack's one underneath it when the environment has no topology. */
function withLocalStackEnv(env: Env, file: string | undefined): Env {
  if (file === undefined || env['GATEWAY_TOPOLOGY'] !== undefined) return env;
  if (env['GATEWAY_TOPOLOGY_FILE'] !== undefined) return env;
  let local: unknown;
  try {
    local = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return env;
  }
  if (typeof local !== 'object' || local === null) return env;
  const strings = Object.entries(local).filter(
    (entry): entry is [string, string] => typeof entry[1] === 'string',
  );
  return { ...Object.fromEntries(strings), ...env };
}

function readTopologySource(env: z.infer<typeof envSchema>, problems: string[]): unknown {
  if (env.GATEWAY_TOPOLOGY !== undefined && env.GATEWAY_TOPOLOGY_FILE !== undefined) {
    problems.push('set only one of GATEWAY_TOPOLOGY and GATEWAY_TOPOLOGY_FILE');
    return undefined;
  }
  let text: string;
  let origin: string;
  if (env.GATEWAY_TOPOLOGY !== undefined) {
    text = env.GATEWAY_TOPOLOGY;
    origin = 'GATEWAY_TOPOLOGY';
  } else if (env.GATEWAY_TOPOLOGY_FILE !== undefined) {
    origin = env.GATEWAY_TOPOLOGY_FILE;
    try {
      text = readFileSync(resolvePath(origin), 'utf8');
    } catch {
      problems.push(`GATEWAY_TOPOLOGY_FILE: cannot read ${origin}`);
      return undefined;
    }
  } else {
    problems.push('a region topology is required: set GATEWAY_TOPOLOGY_FILE or GATEWAY_TOPOLOGY');
    return undefined;
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    problems.push(`${origin}: not valid JSON`);
    return undefined;
  }
}

function parseRegions(raw: unknown, defaultPoolSize: number, problems: string[]): RegionConfig[] {
  if (raw === undefined) return [];
  const parsed = topologySchema.safeParse(raw);
  if (!parsed.success) {
    problems.push(...describeIssues('topology.', parsed.error));
    return [];
  }
  const seen = new Set<string>();
  const regions: RegionConfig[] = [];
  for (const region of parsed.data.regions) {
    if (seen.has(region.id)) problems.push(`topology.regions: region ${region.id} is listed twice`);
    seen.add(region.id);
    regions.push({
      id: region.id,
      jurisdiction: region.jurisdiction,
      databaseUrl: region.databaseUrl,
      migrationDatabaseUrl: region.migrationDatabaseUrl,
      kmsKeyId: region.kmsKeyId,
      kmsEndpoint: region.kmsEndpoint,
      poolSize: region.poolSize ?? defaultPoolSize,
      placementWeight: region.placementWeight,
    });
  }
  return regions;
}

/** GATEWAY_CURSOR_SECRET, or the file GATEWAY_CURSOR_SECRET_FILE names (a mounted secret). */
function cursorSecret(env: z.infer<typeof envSchema>, problems: string[]): Buffer {
  let secret = env.GATEWAY_CURSOR_SECRET;
  if (env.GATEWAY_CURSOR_SECRET_FILE !== undefined) {
    try {
      secret = readFileSync(resolvePath(env.GATEWAY_CURSOR_SECRET_FILE), 'utf8').trim();
    } catch {
      problems.push(`GATEWAY_CURSOR_SECRET_FILE: cannot read ${env.GATEWAY_CURSOR_SECRET_FILE}`);
    }
    if (secret !== undefined && secret.length < 32) {
      problems.push('GATEWAY_CURSOR_SECRET_FILE: the secret must be at least 32 characters');
    }
  }
  // Without a configured secret, cursors are valid only on the instance that issued them.
  return secret === undefined ? randomBytes(32) : Buffer.from(secret, 'utf8');
}

/**
 * People (auditors, legal reviewers, privacy officers) sign in to the console with an OpenID
 * provider; its access tokens are accepted beside service tokens. All of issuer, JWKS URL and
 * client id, or none (no sign-in for people).
 */
function peopleConfig(
  env: z.infer<typeof envSchema>,
  problems: string[],
): GatewayConfig['auth']['people'] {
  const { GATEWAY_OIDC_ISSUER: issuer, GATEWAY_OIDC_JWKS_URL: jwksUrl } = env;
  const clientId = env.GATEWAY_OIDC_CLIENT_ID;
  if (issuer === undefined && jwksUrl === undefined && clientId === undefined) return undefined;
  if (issuer === undefined || jwksUrl === undefined || clientId === undefined) {
    problems.push(
      'sign-in for people needs all of GATEWAY_OIDC_ISSUER, GATEWAY_OIDC_JWKS_URL and GATEWAY_OIDC_CLIENT_ID (or none of them)',
    );
    return undefined;
  }
  if (issuer === env.GATEWAY_JWT_ISSUER) {
    problems.push(
      'GATEWAY_OIDC_ISSUER must differ from GATEWAY_JWT_ISSUER (people are not services)',
    );
  }
  return {
    issuer,
    jwksUrl,
    audience: env.GATEWAY_OIDC_AUDIENCE,
    clientId,
    scope: env.GATEWAY_OIDC_SCOPE,
    resource: env.GATEWAY_OIDC_RESOURCE,
  };
}

function jwksSource(env: z.infer<typeof envSchema>, problems: string[]): JwksSource {
  if (env.GATEWAY_JWKS_FILE !== undefined && env.GATEWAY_JWKS_URL !== undefined) {
    problems.push('set only one of GATEWAY_JWKS_FILE and GATEWAY_JWKS_URL');
  }
  if (env.GATEWAY_JWKS_URL !== undefined) return { kind: 'url', url: env.GATEWAY_JWKS_URL };
  if (env.GATEWAY_JWKS_FILE !== undefined) {
    return { kind: 'file', path: resolvePath(env.GATEWAY_JWKS_FILE) };
  }
  problems.push('service tokens need verification keys: set GATEWAY_JWKS_FILE or GATEWAY_JWKS_URL');
  return { kind: 'file', path: '' };
}

/**
 * Reads and validates the whole configuration. Collects every problem before failing, so an
 * operator fixes a broken deployment in one pass.
 */
export function loadGatewayConfig(
  environment: Env = process.env,
  options: LoadOptions = {},
): GatewayConfig {
  const env = withLocalStackEnv(environment, options.localStackEnvFile);
  const problems: string[] = [];
  const parsedEnv = envSchema.safeParse(env);
  let values: z.infer<typeof envSchema>;
  if (parsedEnv.success) {
    values = parsedEnv.data;
  } else {
    problems.push(...describeIssues('', parsedEnv.error));
    // Keep going with the valid variables (and defaults for the invalid ones), so topology
    // problems are reported in the same pass.
    const invalid = new Set(parsedEnv.error.issues.map((issue) => String(issue.path[0])));
    values = envSchema.parse(
      Object.fromEntries(Object.entries(env).filter(([key]) => !invalid.has(key))),
    );
  }
  const regions = parseRegions(
    readTopologySource(values, problems),
    values.GATEWAY_DB_POOL_SIZE,
    problems,
  );
  const peers = parsePeers(values.GATEWAY_PEERS, regions, problems);
  const cell =
    options.storesOnly === true ? undefined : cellConfig(values, peers, resolvePath, problems);
  const jwks: JwksSource =
    options.storesOnly === true ? { kind: 'file', path: '' } : jwksSource(values, problems);
  if (options.storesOnly !== true && values.GATEWAY_AUDIT_SIGNING_KEY_FILE === undefined) {
    problems.push(
      'audit checkpoints are signed: set GATEWAY_AUDIT_SIGNING_KEY_FILE to an Ed25519 PEM private key',
    );
  }
  if (options.storesOnly !== true && values.GATEWAY_POLICY_PUBLIC_KEY_FILE === undefined) {
    problems.push(
      'policy bundles are verified: set GATEWAY_POLICY_PUBLIC_KEY_FILE to the bundle signing public key',
    );
  }
  if (values.GATEWAY_POLICY_DATA_DIR !== undefined) {
    problems.push(
      'GATEWAY_POLICY_DATA_DIR is no longer read: the catalog and the country → jurisdiction map come from the signed policy bundle; unset it',
    );
  }
  if (/^http:\/\//i.test(values.GATEWAY_POLICY_BUNDLE) && !values.GATEWAY_POLICY_ALLOW_HTTP) {
    problems.push(
      'GATEWAY_POLICY_BUNDLE: bundles are fetched over https:// (set GATEWAY_POLICY_ALLOW_HTTP=true for local development only)',
    );
  }
  const issuer =
    values.GATEWAY_JWT_ISSUER ?? (values.GATEWAY_DEVELOPMENT ? DEVELOPMENT_ISSUER : undefined);
  if (options.storesOnly !== true && issuer === undefined) {
    problems.push(
      'service tokens must name their issuer: set GATEWAY_JWT_ISSUER to the `iss` your token issuer signs with',
    );
  }
  const people = peopleConfig(values, problems);
  const rateLimit = rateLimitConfig(values, problems);
  const querySecret = cursorSecret(values, problems);
  const audit = auditConfig(values, resolvePath, problems);
  if (
    (values.GATEWAY_KMS_ACCESS_KEY_ID === undefined) !==
    (values.GATEWAY_KMS_SECRET_ACCESS_KEY === undefined)
  ) {
    problems.push(
      'set both GATEWAY_KMS_ACCESS_KEY_ID and GATEWAY_KMS_SECRET_ACCESS_KEY, or neither',
    );
  }
  if (problems.length > 0) throw new ConfigError(problems);

  return {
    host: values.HOST,
    port: values.PORT,
    instanceId: values.GATEWAY_INSTANCE_ID ?? `${hostname()}-${process.pid}`,
    requestTimeoutMs: values.GATEWAY_REQUEST_TIMEOUT_MS,
    workers: values.GATEWAY_WORKERS ?? availableParallelism(),
    shutdownDrainMs: values.GATEWAY_SHUTDOWN_DRAIN_MS,
    development: values.GATEWAY_DEVELOPMENT,
    logLevel: values.GATEWAY_LOG_LEVEL,
    logFormat: values.GATEWAY_LOG_FORMAT,
    bodyLimitBytes: values.GATEWAY_BODY_LIMIT_BYTES,
    json: jsonLimitsConfig(values),
    rateLimit,
    auth: {
      jwks,
      audience: values.GATEWAY_JWT_AUDIENCE,
      issuer: issuer ?? '',
      clockToleranceSeconds: values.GATEWAY_JWT_CLOCK_TOLERANCE_SECONDS,
      maxLifetimeSeconds: values.GATEWAY_JWT_MAX_LIFETIME_SECONDS,
      maxRoles: values.GATEWAY_JWT_MAX_ROLES,
      people,
    },
    database: {
      connectTimeoutMs: values.GATEWAY_DB_CONNECT_TIMEOUT_MS,
      statementTimeoutMs: values.GATEWAY_DB_STATEMENT_TIMEOUT_MS,
      requestTimeoutMs: values.GATEWAY_DB_REQUEST_TIMEOUT_MS,
      maxWaiting: values.GATEWAY_DB_MAX_WAITING,
    },
    breakers: {
      failureThreshold: values.GATEWAY_BREAKER_FAILURES,
      openMs: values.GATEWAY_BREAKER_OPEN_MS,
    },
    policy: {
      bundleSource: /^https?:\/\//.test(values.GATEWAY_POLICY_BUNDLE)
        ? values.GATEWAY_POLICY_BUNDLE
        : resolvePath(values.GATEWAY_POLICY_BUNDLE),
      publicKeyFile: resolvePath(values.GATEWAY_POLICY_PUBLIC_KEY_FILE ?? ''),
      reloadIntervalMs: values.GATEWAY_POLICY_RELOAD_SECONDS * 1000,
      memoryInitialPages: Math.min(16, values.GATEWAY_POLICY_MEMORY_MAX_PAGES),
      memoryMaximumPages: values.GATEWAY_POLICY_MEMORY_MAX_PAGES,
    },
    query: {
      regionTimeoutMs: values.GATEWAY_QUERY_REGION_TIMEOUT_MS,
      cursorSecret: querySecret,
    },
    audit,
    keys: {
      kmsTimeoutMs: values.GATEWAY_KMS_TIMEOUT_MS,
      kmsMaxInFlight: values.GATEWAY_KMS_MAX_IN_FLIGHT,
      cacheMaxEntries: values.GATEWAY_KEY_CACHE_MAX_ENTRIES,
      cacheTtlMs: values.GATEWAY_KEY_CACHE_TTL_SECONDS * 1000,
      blindIndexBytes: values.GATEWAY_BLIND_INDEX_BYTES,
      staticCredentials:
        values.GATEWAY_KMS_ACCESS_KEY_ID === undefined ||
        values.GATEWAY_KMS_SECRET_ACCESS_KEY === undefined
          ? undefined
          : {
              accessKeyId: values.GATEWAY_KMS_ACCESS_KEY_ID,
              secretAccessKey: values.GATEWAY_KMS_SECRET_ACCESS_KEY,
            },
    },
    regions,
    peers,
    cell,
  };
}
