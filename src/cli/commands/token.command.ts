import { join } from 'node:path';
import { mintDevToken } from '../../auth/dev-tokens.js';
import { KNOWN_ROLES } from '../../auth/roles.js';
import { AUDITOR_ROLE } from '../../auth/service-token.verifier.js';
import {
  DEFAULT_AUDIENCE,
  DEFAULT_MAX_LIFETIME_SECONDS,
  DEFAULT_MAX_ROLES,
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
 * under .local/keys) and the stack's issuer, and only the token, so it can be used as
 * `$(npm run -s token -- ...)`. A token the gateway would refuse (too long-lived, too many
 * roles, auditor with another role) is not minted.
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
  let maxRoles = DEFAULT_MAX_ROLES;
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
    maxRoles = config.auth.maxRoles;
    if (!config.regions.some((r) => r.id === options.region)) {
      throw new UsageError(
        `region ${options.region} is not configured (known: ${config.regions.map((r) => r.id).join(', ')})`,
      );
    }
  }
  if (options.roles.includes(AUDITOR_ROLE) && options.roles.length > 1) {
    throw new UsageError(`${AUDITOR_ROLE} is never combined with another role`);
  }
  if (options.roles.length > maxRoles) {
    throw new UsageError(
      `${String(options.roles.length)} roles; the gateway accepts at most ${String(maxRoles)} (GATEWAY_JWT_MAX_ROLES)`,
    );
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
