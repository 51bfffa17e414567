import { fromBase64Url, sha256, toBase64Url } from './bytes.js';

/** What `/console/config.json` says (the gateway's settings; nothing secret). */
export interface ConsoleSettings {
  readonly signIn: {
    readonly issuer: string;
    readonly clientId: string;
    readonly scope: string;
    readonly resource: string | null;
  } | null;
  readonly regions: readonly { readonly id: string; readonly jurisdiction: string }[];
}

interface Discovery {
  readonly issuer: string;
  readonly authorization_endpoint: string;
  readonly token_endpoint: string;
  readonly end_session_endpoint?: string;
}

/** A signed-in person, as the console shows them; the gateway decides on the token alone. */
export interface Session {
  readonly accessToken: string;
  readonly idToken: string | null;
  readonly expiresAt: number;
  readonly subject: string;
  readonly name: string;
  readonly roles: readonly string[];
  readonly region: string;
}

const SESSION_KEY = 'rg.session';
const PENDING_KEY = 'rg.pending-sign-in';

function redirectUri(): string {
  return `${location.origin}/console`;
}

async function discover(issuer: string): Promise<Discovery> {
  const response = await fetch(`${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`);
  if (!response.ok) throw new Error(`the OpenID provider at ${issuer} did not answer discovery`);
  const discovery = (await response.json()) as Discovery;
  if (discovery.issuer !== issuer) throw new Error('the discovery document names another issuer');
  return discovery;
}

function claims(jwt: string): Record<string, unknown> {
  const part = jwt.split('.')[1];
  if (part === undefined) throw new Error('not a JWT');
  return JSON.parse(new TextDecoder().decode(fromBase64Url(part))) as Record<string, unknown>;
}

function random(): string {
  return toBase64Url(crypto.getRandomValues(new Uint8Array(32)));
}

/** Authorization code with PKCE (S256), state and nonce; `returnTo` is the view to come back to. */
export async function signIn(settings: ConsoleSettings, returnTo: string): Promise<void> {
  const signInSettings = settings.signIn;
  if (signInSettings === null) throw new Error('sign-in is not configured on this gateway');
  const discovery = await discover(signInSettings.issuer);
  const verifier = random();
  const state = random();
  const nonce = random();
  sessionStorage.setItem(PENDING_KEY, JSON.stringify({ verifier, state, nonce, returnTo }));
  const url = new URL(discovery.authorization_endpoint);
  const params: Record<string, string> = {
    response_type: 'code',
    client_id: signInSettings.clientId,
    redirect_uri: redirectUri(),
    scope: signInSettings.scope,
    state,
    nonce,
    code_challenge: toBase64Url(await sha256(new TextEncoder().encode(verifier))),
    code_challenge_method: 'S256',
  };
  if (signInSettings.resource !== null) params['resource'] = signInSettings.resource;
  for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
  location.assign(url.toString());
}

/**
 * On the way back from the provider: exchanges the code for tokens (once, checking state and
 * the ID token's nonce), stores the session for this tab, and returns the view to show.
 * Returns null when this load is not a sign-in callback.
 */
export async function completeSignIn(settings: ConsoleSettings): Promise<string | null> {
  const query = new URLSearchParams(location.search);
  const code = query.get('code');
  const error = query.get('error');
  if (code === null && error === null) return null;
  const pending = JSON.parse(sessionStorage.getItem(PENDING_KEY) ?? 'null') as {
    verifier: string;
    state: string;
    nonce: string;
    returnTo: string;
  } | null;
  sessionStorage.removeItem(PENDING_KEY);
  history.replaceState(null, '', `${location.pathname}${pending?.returnTo ?? ''}`);
  if (error !== null)
    throw new Error(`sign-in failed: ${error} ${query.get('error_description') ?? ''}`);
  if (pending === null || query.get('state') !== pending.state)
    throw new Error('this sign-in was not started here (state mismatch); sign in again');
  const signInSettings = settings.signIn;
  if (signInSettings === null || code === null) throw new Error('sign-in is not configured');
  const discovery = await discover(signInSettings.issuer);
  const response = await fetch(discovery.token_endpoint, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      redirect_uri: redirectUri(),
      client_id: signInSettings.clientId,
      code_verifier: pending.verifier,
      ...(signInSettings.resource === null ? {} : { resource: signInSettings.resource }),
    }),
  });
  if (!response.ok) throw new Error(`the provider refused the code (${String(response.status)})`);
  const tokens = (await response.json()) as {
    access_token: string;
    id_token?: string;
    expires_in?: number;
  };
  const idClaims = tokens.id_token === undefined ? {} : claims(tokens.id_token);
  if (tokens.id_token !== undefined && idClaims['nonce'] !== pending.nonce)
    throw new Error('the ID token is not for this sign-in (nonce mismatch)');
  const access = claims(tokens.access_token);
  const expiresAt =
    typeof access['exp'] === 'number'
      ? access['exp'] * 1000
      : Date.now() + (tokens.expires_in ?? 300) * 1000;
  const subject = typeof access['sub'] === 'string' ? access['sub'] : '';
  const session: Session = {
    accessToken: tokens.access_token,
    idToken: tokens.id_token ?? null,
    expiresAt,
    subject,
    name: typeof idClaims['name'] === 'string' ? idClaims['name'] : subject,
    roles: Array.isArray(access['roles'])
      ? access['roles'].filter((r): r is string => typeof r === 'string')
      : [],
    region: typeof access['region'] === 'string' ? access['region'] : '',
  };
  sessionStorage.setItem(SESSION_KEY, JSON.stringify(session));
  return pending.returnTo;
}

/** The tab's session, unless it has expired (then it is dropped, and `expired` says so). */
export function currentSession(): { session: Session | null; expired: boolean } {
  const session = JSON.parse(sessionStorage.getItem(SESSION_KEY) ?? 'null') as Session | null;
  if (session === null) return { session: null, expired: false };
  if (Date.now() >= session.expiresAt) {
    sessionStorage.removeItem(SESSION_KEY);
    return { session: null, expired: true };
  }
  return { session, expired: false };
}

export function forgetSession(): void {
  sessionStorage.removeItem(SESSION_KEY);
}

/** Ends the session here and at the provider (RP-initiated logout), back to the console. */
export async function signOut(settings: ConsoleSettings, session: Session | null): Promise<void> {
  forgetSession();
  const signInSettings = settings.signIn;
  if (signInSettings === null) return;
  const discovery = await discover(signInSettings.issuer);
  if (discovery.end_session_endpoint === undefined) {
    location.assign(redirectUri());
    return;
  }
  const url = new URL(discovery.end_session_endpoint);
  url.searchParams.set('client_id', signInSettings.clientId);
  url.searchParams.set('post_logout_redirect_uri', redirectUri());
  if (session?.idToken != null) url.searchParams.set('id_token_hint', session.idToken);
  location.assign(url.toString());
}
