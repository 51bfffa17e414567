import { join } from 'node:path';
import { mintDevToken } from '../../auth/dev-tokens.js';
import { KNOWN_ROLES } from '../../auth/roles.js';
import {
  DEFAULT_AUDIENCE,
  DEFAULT_MAX_LIFETIME_SECONDS,
  DEVELOPMENT_ISSUER,
} from '../../platform/config/config.loader.js';
import { LOCAL_STATE_DIR } from '../../platform/paths.js';
import { loadCliConfig } from '../cli-config.js';
import { EXIT, UsageError } from '../exit-codes.js';

export interface TokenOptions {
  readonly service: string;
  readonly region: string;
  readonly roles: readonly string[];
  readonly ttl: number;
}

/**
 * `token`: prints a dev service token signed with the local dev key (created on first use
 * under .local/keys), and only the token, so it can be used as `$(npm run -s token -- ...)`.
 */
export async function token(options: TokenOptions): Promise<number> {
  const unknownRoles = options.roles.filter(
    (role) => !(KNOWN_ROLES as readonly string[]).includes(role),
  );
  if (unknownRoles.length > 0) {
    process.stderr.write(
      `warning: unknown role(s) ${unknownRoles.join(', ')}; known: ${KNOWN_ROLES.join(', ')}\n`,
    );
  }
  let audience = DEFAULT_AUDIENCE;
  let issuer = DEVELOPMENT_ISSUER;
  let maxLifetimeSeconds = DEFAULT_MAX_LIFETIME_SECONDS;
  let config;
  try {
    config = loadCliConfig();
  } catch {
    process.stderr.write(
      'note: no topology found (run npm start once); the region is not checked\n',
    );
  }
  if (config !== undefined) {
    audience = config.auth.audience;
    if (config.auth.issuer !== '') issuer = config.auth.issuer;
    maxLifetimeSeconds = config.auth.maxLifetimeSeconds;
    if (!config.regions.some((r) => r.id === options.region)) {
      throw new UsageError(
        `region ${options.region} is not configured (known: ${config.regions.map((r) => r.id).join(', ')})`,
      );
    }
  }
  if (options.ttl > maxLifetimeSeconds) {
    throw new UsageError(
      `--ttl ${String(options.ttl)} is longer than the gateway accepts (GATEWAY_JWT_MAX_LIFETIME_SECONDS=${String(maxLifetimeSeconds)})`,
    );
  }
  const minted = await mintDevToken(join(LOCAL_STATE_DIR, 'keys'), {
    service: options.service,
    region: options.region,
    roles: options.roles,
    audience,
    issuer,
    ttlSeconds: options.ttl,
  });
  process.stdout.write(`${minted}\n`);
  return EXIT.ok;
}
