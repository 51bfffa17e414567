import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { mintDevToken } from '../auth/dev-tokens.js';
import { KNOWN_ROLES } from '../auth/roles.js';
import { DEFAULT_AUDIENCE } from '../platform/config/config.loader.js';
import { LOCAL_STATE_DIR } from '../platform/paths.js';
import { loadCliConfig } from './cli-stores.js';

const USAGE =
  'usage: npm run token -- --service svc:feed --region eu-central-1 --roles service[,moderator] [--ttl 3600]';

/**
 * `npm run token`: prints a dev service token signed with the local dev key (created on first
 * use under .local/keys), and only the token, so it can be used as `$(npm run -s token -- ...)`.
 */
async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      service: { type: 'string' },
      region: { type: 'string' },
      roles: { type: 'string' },
      ttl: { type: 'string', default: '3600' },
    },
    strict: true,
  });
  const roles = (values.roles ?? '')
    .split(',')
    .map((role) => role.trim())
    .filter((role) => role !== '');
  const ttlSeconds = Number(values.ttl);
  if (
    values.service === undefined ||
    values.region === undefined ||
    roles.length === 0 ||
    !(ttlSeconds > 0)
  ) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const unknownRoles = roles.filter((role) => !(KNOWN_ROLES as readonly string[]).includes(role));
  if (unknownRoles.length > 0) {
    process.stderr.write(
      `warning: unknown role(s) ${unknownRoles.join(', ')}; known: ${KNOWN_ROLES.join(', ')}\n`,
    );
  }

  let audience = DEFAULT_AUDIENCE;
  try {
    const config = loadCliConfig();
    audience = config.auth.audience;
    const region = values.region;
    if (!config.regions.some((r) => r.id === region)) {
      process.stderr.write(
        `region ${region} is not configured (known: ${config.regions.map((r) => r.id).join(', ')})\n`,
      );
      return 2;
    }
  } catch {
    process.stderr.write(
      'note: no topology found (run npm start once); the region is not checked\n',
    );
  }

  const token = await mintDevToken(join(LOCAL_STATE_DIR, 'keys'), {
    service: values.service,
    region: values.region,
    roles,
    audience,
    ttlSeconds,
  });
  process.stdout.write(`${token}\n`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
