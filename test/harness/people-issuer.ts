import { createServer, type Server } from 'node:http';
import { SignJWT, exportJWK, generateKeyPair, type CryptoKey } from 'jose';

export interface PersonClaims {
  readonly sub: string;
  readonly roles: readonly string[];
  readonly region: string;
  readonly audience?: string;
  /** `at+jwt` (an access token, RFC 9068) unless a test sends something else. */
  readonly typ?: string;
}

/**
 * A stand-in for a company's OpenID provider at the token level (API tests): its JWKS on a
 * loopback URL and access tokens shaped as RFC 9068 JWTs. The console's browser tests use the
 * real development provider instead.
 */
export class PeopleIssuer {
  private constructor(
    private readonly server: Server,
    private readonly key: CryptoKey,
    readonly issuer: string,
  ) {}

  static async start(): Promise<PeopleIssuer> {
    const { publicKey, privateKey } = await generateKeyPair('ES256');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'people-1', alg: 'ES256', use: 'sig' };
    const server = createServer((_req, res) => {
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    return new PeopleIssuer(server, privateKey, `http://127.0.0.1:${String(port)}`);
  }

  get jwksUrl(): string {
    return `${this.issuer}/jwks`;
  }

  /** What a gateway trusting this issuer for people is configured with. */
  get env(): Record<string, string> {
    return {
      GATEWAY_OIDC_ISSUER: this.issuer,
      GATEWAY_OIDC_JWKS_URL: this.jwksUrl,
      GATEWAY_OIDC_CLIENT_ID: 'residency-console',
    };
  }

  async token(claims: PersonClaims): Promise<string> {
    return new SignJWT({
      roles: [...claims.roles],
      region: claims.region,
      client_id: 'residency-console',
    })
      .setProtectedHeader({ alg: 'ES256', typ: claims.typ ?? 'at+jwt', kid: 'people-1' })
      .setIssuer(this.issuer)
      .setSubject(claims.sub)
      .setAudience(claims.audience ?? 'residency-gateway')
      .setIssuedAt()
      .setExpirationTime('10m')
      .sign(this.key);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) =>
      this.server.close(() => {
        resolve();
      }),
    );
  }
}
