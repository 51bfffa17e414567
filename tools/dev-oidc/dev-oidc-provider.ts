import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import Provider, { type OidcContext } from 'oidc-provider';
import { DEV_USERS, type DevUser } from './dev-users.js';

export interface DevOidcOptions {
  readonly host: string;
  readonly port: number;
  /** Origins the console is served from (each gets `<origin>/console` as its redirect URI). */
  readonly consoleOrigins: readonly string[];
  readonly clientId: string;
  /** The `aud` of access tokens (the gateway's GATEWAY_OIDC_AUDIENCE). */
  readonly audience: string;
  /** The resource indicator (RFC 8707) the console asks for. */
  readonly resource: string;
  readonly accessTokenSeconds?: number;
}

/** The scope of the gateway's API at this provider. */
export const GATEWAY_SCOPE = 'gateway';

/**
 * A development OpenID provider (the `oidc-provider` package) for the local stack and the
 * tests: authorization code with PKCE for the console (a public client), JWT access tokens
 * (RFC 9068) for the gateway carrying each dev user's roles and region, RP-initiated logout.
 * Sign-in is a pick from {@link DEV_USERS}, no password: never expose it beyond loopback.
 */
export class DevOidcProvider {
  private constructor(
    private readonly server: Server,
    readonly issuer: string,
  ) {}

  get jwksUrl(): string {
    return `${this.issuer}/jwks`;
  }

  static async start(options: DevOidcOptions): Promise<DevOidcProvider> {
    const issuer = `http://${options.host}:${String(options.port)}`;
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const jwk = { ...privateKey.export({ format: 'jwk' }), alg: 'ES256', use: 'sig', kid: 'dev-1' };
    const ttl = options.accessTokenSeconds ?? 900;
    const byId = new Map(DEV_USERS.map((user) => [user.id, user]));
    const provider = new Provider(issuer, {
      clients: [
        {
          client_id: options.clientId,
          client_name: 'residency-gateway console',
          token_endpoint_auth_method: 'none',
          grant_types: ['authorization_code'],
          response_types: ['code'],
          redirect_uris: options.consoleOrigins.map((origin) => `${origin}/console`),
          post_logout_redirect_uris: options.consoleOrigins.map((origin) => `${origin}/console`),
          id_token_signed_response_alg: 'ES256',
        },
      ],
      jwks: { keys: [jwk] },
      cookies: { keys: [randomBytes(32).toString('base64url')] },
      claims: { openid: ['sub'], profile: ['name'] },
      findAccount: (_ctx: unknown, id: string) => {
        const user = byId.get(id);
        return user === undefined
          ? undefined
          : { accountId: id, claims: () => ({ sub: id, name: user.name }) };
      },
      extraTokenClaims: (_ctx: unknown, token: { accountId?: string }) => {
        const user = token.accountId === undefined ? undefined : byId.get(token.accountId);
        return user === undefined ? {} : { roles: [...user.roles], region: user.region };
      },
      // The console is first-party: no consent screen; the grant covers sign-in and the API.
      loadExistingGrant: async (ctx: OidcContext) => {
        const { client, session, result, provider: self } = ctx.oidc;
        if (client === undefined || session?.accountId === undefined) return undefined;
        const id = result?.consent?.grantId ?? session.grantIdFor(client.clientId);
        if (id !== undefined) return self.Grant.find(id);
        const grant = new self.Grant({ clientId: client.clientId, accountId: session.accountId });
        grant.addOIDCScope('openid profile');
        grant.addResourceScope(options.resource, GATEWAY_SCOPE);
        await grant.save();
        return grant;
      },
      features: {
        devInteractions: { enabled: false },
        rpInitiatedLogout: {
          enabled: true,
          // The package's default page loads web fonts; this one is self-contained.
          logoutSource: (ctx: { body: string }, form: string) => {
            ctx.body = page(
              'Sign out',
              `${form}<p>Sign out of the development provider?</p>
<button type="submit" form="op.logoutForm" value="yes" name="logout" autofocus>Yes, sign me out</button>
<button type="submit" form="op.logoutForm">No, stay signed in</button>`,
            );
          },
        },
        resourceIndicators: {
          enabled: true,
          defaultResource: () => options.resource,
          useGrantedResource: () => true,
          getResourceServerInfo: () => ({
            scope: GATEWAY_SCOPE,
            audience: options.audience,
            accessTokenTTL: ttl,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg: 'ES256' } },
          }),
        },
      },
      interactions: {
        url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}`,
      },
      ttl: { AccessToken: ttl, IdToken: ttl, Interaction: 600, Session: 8 * 3600, Grant: 8 * 3600 },
    });
    const handler = provider.callback();
    const server = createServer((req, res) => {
      void interaction(provider, req, res).then((handled) => {
        if (!handled) handler(req, res);
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port, options.host, resolve);
    });
    return new DevOidcProvider(server, issuer);
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

/** The sign-in page: pick a dev user. Returns false for every other request. */
async function interaction(
  provider: Provider,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<boolean> {
  const match = /^\/interaction\/([\w-]+)(\/login)?$/.exec(req.url ?? '');
  if (match === null) return false;
  try {
    const details = await provider.interactionDetails(req, res);
    if (req.method === 'POST' && match[2] !== undefined) {
      const form = new URLSearchParams(await body(req));
      const user = DEV_USERS.find((u) => u.id === form.get('user'));
      if (user === undefined) {
        res.writeHead(400, { 'content-type': 'text/plain' }).end('unknown dev user');
        return true;
      }
      await provider.interactionFinished(
        req,
        res,
        { login: { accountId: user.id } },
        { mergeWithLastSubmission: false },
      );
      return true;
    }
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
    res.end(signInPage(details.uid, DEV_USERS));
  } catch {
    res
      .writeHead(400, { 'content-type': 'text/plain' })
      .end('this sign-in has expired; start again');
  }
  return true;
}

async function body(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > 4096) throw new Error('too large');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

const escape = (text: string): string =>
  text.replace(/[&<>"']/g, (c) => `&#${String(c.charCodeAt(0))};`);

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>${title} (development)</title>
<style>body{font:16px system-ui,sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem}
select,button{font:inherit;padding:.5rem;width:100%;margin:.5rem 0}p{color:#555}</style></head>
<body><main><h1>${title}</h1>${body}</main></body></html>`;
}

function signInPage(uid: string, users: readonly DevUser[]): string {
  const options = users
    .map((u) => `<option value="${escape(u.id)}">${escape(u.id)} — ${escape(u.name)}</option>`)
    .join('');
  return page(
    'Sign in',
    `<p>Development OpenID provider: pick a dev user (no password). Never run this provider
beyond your machine.</p>
<form method="post" action="/interaction/${escape(uid)}/login">
<label for="user">User</label><select id="user" name="user" autofocus>${options}</select>
<button type="submit">Sign in</button></form>`,
  );
}
