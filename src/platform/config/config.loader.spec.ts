import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError } from './config.error.js';
import { DEVELOPMENT_ISSUER, loadGatewayConfig } from './config.loader.js';

const REGION = {
  id: 'us-east-1',
  jurisdiction: 'US',
  databaseUrl: 'postgres://u:p@127.0.0.1:5432/db',
  kmsKeyId: 'alias/us',
};

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadGatewayConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return [...error.problems];
    throw error;
  }
  assert.fail('expected a ConfigError');
}

describe('loadGatewayConfig', () => {
  it('builds a typed config with defaults', () => {
    const config = loadGatewayConfig({
      GATEWAY_TOPOLOGY: JSON.stringify({ regions: [REGION] }),
      GATEWAY_JWKS_FILE: '/etc/jwks.json',
      GATEWAY_JWT_ISSUER: 'https://sts.internal',
      GATEWAY_POLICY_PUBLIC_KEY_FILE: '/etc/policy.pub.pem',
      GATEWAY_AUDIT_SIGNING_KEY_FILE: '/etc/audit.pem',
    });
    assert.equal(config.port, 8080);
    assert.equal(config.auth.audience, 'residency-gateway');
    assert.equal(config.auth.issuer, 'https://sts.internal');
    assert.equal(config.auth.maxLifetimeSeconds, 3600);
    assert.equal(config.auth.maxRoles, 3);
    assert.deepEqual(config.json, { maxDepth: 32, maxMembers: 10_000, maxStringBytes: 262_144 });
    assert.equal(config.rateLimit.windowMs, 10_000);
    assert.equal(config.rateLimit.perRole['service'], 30_000);
    assert.equal(config.rateLimit.perRole['auditor'], 3_000);
    assert.equal(config.rateLimit.anonymous, 1_000);
    assert.deepEqual(config.auth.jwks, { kind: 'file', path: '/etc/jwks.json' });
    const [region] = config.regions;
    assert.ok(region);
    assert.equal(region.poolSize, 10);
    assert.equal(region.placementWeight, 1);
  });

  it('applies the default pool size unless a region sets its own', () => {
    const config = loadGatewayConfig({
      GATEWAY_TOPOLOGY: JSON.stringify({
        regions: [REGION, { ...REGION, id: 'us-west-2', poolSize: 3 }],
      }),
      GATEWAY_JWKS_URL: 'https://keys.internal/jwks.json',
      GATEWAY_JWT_ISSUER: 'https://sts.internal',
      GATEWAY_POLICY_PUBLIC_KEY_FILE: '/etc/policy.pub.pem',
      GATEWAY_AUDIT_SIGNING_KEY_FILE: '/etc/audit.pem',
      GATEWAY_DB_POOL_SIZE: '25',
    });
    assert.deepEqual(
      config.regions.map((r) => r.poolSize),
      [25, 3],
    );
  });

  it('lists every problem at once, not just the first', () => {
    const problems = problemsOf({
      PORT: 'eighty',
      GATEWAY_LOG_LEVEL: 'loud',
      GATEWAY_TOPOLOGY: JSON.stringify({
        regions: [
          { ...REGION, id: 'US_EAST' },
          { ...REGION, databaseUrl: 'mysql://x' },
          { ...REGION, extra: true },
        ],
      }),
    });
    const text = problems.join('\n');
    assert.match(text, /PORT/);
    assert.match(text, /GATEWAY_LOG_LEVEL/);
    assert.match(text, /regions\.0\.id/);
    assert.match(text, /regions\.1\.databaseUrl/);
    assert.match(text, /regions\.2/);
    assert.match(text, /GATEWAY_JWKS_FILE or GATEWAY_JWKS_URL/);
    assert.ok(problems.length >= 6, text);
  });

  it('requires a topology and refuses duplicate regions', () => {
    assert.match(problemsOf({ GATEWAY_JWKS_FILE: 'x' }).join('\n'), /topology is required/);
    assert.match(
      problemsOf({
        GATEWAY_JWKS_FILE: 'x',
        GATEWAY_TOPOLOGY: JSON.stringify({ regions: [REGION, REGION] }),
      }).join('\n'),
      /us-east-1 is listed twice/,
    );
    assert.match(
      problemsOf({ GATEWAY_JWKS_FILE: 'x', GATEWAY_TOPOLOGY: '{nope' }).join('\n'),
      /not valid JSON/,
    );
  });

  it('requires the token issuer, except on a development gateway (which expects its dev tokens)', () => {
    const env = {
      GATEWAY_TOPOLOGY: JSON.stringify({ regions: [REGION] }),
      GATEWAY_JWKS_FILE: '/etc/jwks.json',
      GATEWAY_POLICY_PUBLIC_KEY_FILE: '/etc/policy.pub.pem',
      GATEWAY_AUDIT_SIGNING_KEY_FILE: '/etc/audit.pem',
    };
    assert.match(problemsOf(env).join('\n'), /GATEWAY_JWT_ISSUER/);
    assert.match(
      problemsOf({ ...env, GATEWAY_JWT_ISSUER: 'sts ïnternal' }).join('\n'),
      /GATEWAY_JWT_ISSUER: must be printable ASCII/,
    );
    assert.equal(
      loadGatewayConfig({ ...env, GATEWAY_DEVELOPMENT: 'true' }).auth.issuer,
      DEVELOPMENT_ISSUER,
    );
    assert.equal(loadGatewayConfig(env, { storesOnly: true }).regions.length, 1);
  });

  it('reads rate limits per role on top of the defaults, and refuses malformed ones', () => {
    const env = {
      GATEWAY_TOPOLOGY: JSON.stringify({ regions: [REGION] }),
      GATEWAY_JWKS_FILE: '/etc/jwks.json',
      GATEWAY_JWT_ISSUER: 'sts',
      GATEWAY_POLICY_PUBLIC_KEY_FILE: '/etc/policy.pub.pem',
      GATEWAY_AUDIT_SIGNING_KEY_FILE: '/etc/audit.pem',
    };
    const config = loadGatewayConfig({
      ...env,
      GATEWAY_RATE_LIMIT_ROLES: 'auditor=60, reviewer=5',
      GATEWAY_RATE_LIMIT_WINDOW_SECONDS: '60',
    });
    assert.equal(config.rateLimit.windowMs, 60_000);
    assert.equal(config.rateLimit.perRole['auditor'], 60);
    assert.equal(config.rateLimit.perRole['reviewer'], 5);
    assert.equal(config.rateLimit.perRole['service'], 30_000);
    const problems = problemsOf({ ...env, GATEWAY_RATE_LIMIT_ROLES: 'auditor=0,legal' }).join('\n');
    assert.match(problems, /auditor=0 is not role=count/);
    assert.match(problems, /legal is not role=count/);
  });

  it('never echoes a database URL (it carries a password) in its problems', () => {
    const problems = problemsOf({
      GATEWAY_TOPOLOGY: JSON.stringify({
        regions: [{ ...REGION, databaseUrl: 'mysql://user:s3cret@db/x' }],
      }),
    });
    assert.doesNotMatch(problems.join('\n'), /s3cret/);
  });

  it('takes the other cells from GATEWAY_PEERS: never with credentials, never its own region, and only with its mTLS files', () => {
    const base = {
      GATEWAY_TOPOLOGY: JSON.stringify({ regions: [REGION] }),
      GATEWAY_JWKS_FILE: '/etc/jwks.json',
      GATEWAY_JWT_ISSUER: 'https://sts.internal',
      GATEWAY_POLICY_PUBLIC_KEY_FILE: '/etc/policy.pub.pem',
      GATEWAY_AUDIT_SIGNING_KEY_FILE: '/etc/audit.pem',
    };
    const eu = { id: 'eu-central-1', jurisdiction: 'EU', gatewayUrl: 'https://gw-eu:8443' };
    const withCredentials = problemsOf({
      ...base,
      GATEWAY_PEERS: JSON.stringify([{ ...eu, databaseUrl: 'postgres://eu/db' }]),
    });
    assert.ok(
      withCredentials.some((p) => p.startsWith('GATEWAY_PEERS')),
      withCredentials.join(),
    );
    const own = problemsOf({
      ...base,
      GATEWAY_PEERS: JSON.stringify([{ ...eu, id: 'us-east-1', jurisdiction: 'US' }]),
    });
    assert.ok(
      own.some((p) => p.includes('us-east-1 is served by this process')),
      own.join(),
    );
    const plain = problemsOf({
      ...base,
      GATEWAY_PEERS: JSON.stringify([{ ...eu, gatewayUrl: 'http://gw-eu:8443' }]),
    });
    assert.ok(
      plain.some((p) => p.startsWith('GATEWAY_PEERS.0.gatewayUrl')),
      plain.join(),
    );
    const noTls = problemsOf({ ...base, GATEWAY_PEERS: JSON.stringify([eu]) });
    assert.ok(
      noTls.some((p) =>
        p.includes('GATEWAY_CELL_CERT_FILE, GATEWAY_CELL_KEY_FILE, GATEWAY_CELL_CA_FILE'),
      ),
      noTls.join(),
    );
    // Without peers, a single-process gateway: no cell settings needed.
    const single = loadGatewayConfig(base);
    assert.equal(single.cell, undefined);
    assert.deepEqual(single.peers, []);
  });

  it('signs people in only with an issuer, its keys and the console client, all or none', () => {
    const base = {
      GATEWAY_TOPOLOGY: JSON.stringify({ regions: [REGION] }),
      GATEWAY_JWKS_FILE: '/etc/jwks.json',
      GATEWAY_JWT_ISSUER: 'https://sts.internal',
      GATEWAY_POLICY_PUBLIC_KEY_FILE: '/etc/policy.pub.pem',
      GATEWAY_AUDIT_SIGNING_KEY_FILE: '/etc/audit.pem',
    };
    assert.equal(loadGatewayConfig(base).auth.people, undefined);
    const people = loadGatewayConfig({
      ...base,
      GATEWAY_OIDC_ISSUER: 'https://login.example.com',
      GATEWAY_OIDC_JWKS_URL: 'https://login.example.com/jwks',
      GATEWAY_OIDC_CLIENT_ID: 'console',
    }).auth.people;
    assert.deepEqual(people, {
      issuer: 'https://login.example.com',
      jwksUrl: 'https://login.example.com/jwks',
      audience: 'residency-gateway',
      clientId: 'console',
      scope: 'openid profile',
      resource: undefined,
    });
    assert.deepEqual(problemsOf({ ...base, GATEWAY_OIDC_ISSUER: 'https://login.example.com' }), [
      'sign-in for people needs all of GATEWAY_OIDC_ISSUER, GATEWAY_OIDC_JWKS_URL and GATEWAY_OIDC_CLIENT_ID (or none of them)',
    ]);
    assert.ok(
      problemsOf({
        ...base,
        GATEWAY_OIDC_ISSUER: 'https://sts.internal',
        GATEWAY_OIDC_JWKS_URL: 'https://sts.internal/jwks',
        GATEWAY_OIDC_CLIENT_ID: 'console',
      }).some((p) => p.includes('must differ from GATEWAY_JWT_ISSUER')),
    );
  });
});
