import { createHash } from 'node:crypto';
import {
  decodeJwt,
  decodeProtectedHeader,
  jwtVerify,
  type JWTPayload,
  type JWTVerifyGetKey,
} from 'jose';
import { LRUCache } from 'lru-cache';
import { PRINTABLE_ASCII } from '../platform/config/gateway-config.js';
import type { Caller } from '../platform/http/request-context.js';
import type { RegionTopology } from '../regions/region-topology.js';
import { AuthenticationError, VerificationKeysUnavailableError } from './authentication.error.js';

/** Asymmetric algorithms only: a shared HMAC secret would let any verifier mint tokens. */
export const ACCEPTED_ALGORITHMS = ['ES256', 'EdDSA', 'Ed25519'] as const;

// The signature part may be empty so that `alg: none` tokens reach the algorithm check.
const BEARER = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*)$/;

export interface VerifierOptions {
  readonly audience: string;
  /** The only `iss` accepted. */
  readonly issuer: string;
  readonly clockToleranceSeconds: number;
  /** `exp - iat` above this is refused. */
  readonly maxLifetimeSeconds: number;
  readonly maxRoles: number;
}

/**
 * The OpenID provider people sign in with. Its access tokens (RFC 9068 `at+jwt`) are accepted
 * beside service tokens, for the roles people hold only.
 */
export interface PeopleTokenOptions {
  readonly keys: JWTVerifyGetKey;
  readonly issuer: string;
  readonly audience: string;
}

/** Roles a person may hold; a token from the people's provider naming any other is refused. */
export const PEOPLE_ROLES: readonly string[] = ['auditor', 'legal', 'privacy'];

/** A person acts as `user:<sub>` (policy's `caller.service`), never as a service's name. */
export const PERSON_PREFIX = 'user:';

/** Identifiers a token binds: printable ASCII (no spaces), bounded, so they are safe to log. */
export const MAX_SERVICE_LENGTH = 128;
const MAX_REGION_LENGTH = 32;
const ROLE = /^[a-z][a-z0-9-]{0,63}$/;

/** The role that reads the audit log: never held together with a role that reads records. */
export const AUDITOR_ROLE = 'auditor';

function identifier(value: unknown, maxLength: number): value is string {
  return typeof value === 'string' && value.length <= maxLength && PRINTABLE_ASCII.test(value);
}

/**
 * Verifies a service's bearer token and turns it into a {@link Caller}. Every rejection is an
 * {@link AuthenticationError} with its own code; nothing about the token is logged.
 *
 * A token is accepted only if it is signed (ES256 or EdDSA) by a configured key, names this
 * gateway (`aud`) and the configured issuer (`iss`), carries `iat` and `exp` no further apart
 * than the configured maximum lifetime (and `iat` not in the future), a printable-ASCII
 * service (`sub`) and region, and 1 to `maxRoles` distinct roles of which `auditor`, if
 * present, is the only one.
 */
export class ServiceTokenVerifier {
  /**
   * Tokens already verified, by SHA-256 of the token (the bearer token itself is not kept),
   * until they expire: a service sends the same token many times, and verifying its signature
   * again each time is most of authentication's cost. Bounded in size.
   */
  private readonly verified = new LRUCache<string, { caller: Caller; expiresAt: number }>({
    max: 10_000,
  });

  constructor(
    private readonly keys: JWTVerifyGetKey,
    private readonly topology: RegionTopology,
    private readonly options: VerifierOptions,
    private readonly people?: PeopleTokenOptions,
  ) {}

  async verify(authorization: string | undefined): Promise<Caller> {
    if (authorization === undefined || authorization.trim() === '') {
      throw new AuthenticationError('token_missing');
    }
    const token = BEARER.exec(authorization.trim())?.[1];
    if (token === undefined) throw new AuthenticationError('token_malformed');
    const cacheKey = createHash('sha256').update(token).digest('base64url');
    const cached = this.verified.get(cacheKey);
    if (cached !== undefined && Date.now() < cached.expiresAt) return cached.caller;
    this.checkAlgorithm(token);
    const person = this.people !== undefined && unverifiedIssuer(token) === this.people.issuer;
    const payload = await this.verifySignatureAndClaims(token, person ? this.people : undefined);
    const caller = this.toCaller(payload, person);
    if (typeof payload.exp === 'number') {
      this.verified.set(cacheKey, { caller, expiresAt: payload.exp * 1000 });
    }
    return caller;
  }

  private checkAlgorithm(token: string): void {
    let alg: unknown;
    try {
      alg = decodeProtectedHeader(token).alg;
    } catch {
      throw new AuthenticationError('token_malformed');
    }
    if (typeof alg !== 'string' || !(ACCEPTED_ALGORITHMS as readonly string[]).includes(alg)) {
      throw new AuthenticationError('token_algorithm_rejected');
    }
  }

  /** The issuer decides the keys and audience; the claim is trusted only once they verify it. */
  private async verifySignatureAndClaims(
    token: string,
    people: PeopleTokenOptions | undefined,
  ): Promise<JWTPayload> {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, people?.keys ?? this.keys, {
        algorithms: [...ACCEPTED_ALGORITHMS],
        audience: people?.audience ?? this.options.audience,
        issuer: people?.issuer ?? this.options.issuer,
        // An ID token is not an access token (RFC 9068 §4).
        ...(people === undefined ? {} : { typ: 'at+jwt' }),
        requiredClaims: ['exp', 'sub', 'iat'],
        // Also refuses an `iat` in the future (a token dated ahead to live longer).
        maxTokenAge: this.options.maxLifetimeSeconds,
        clockTolerance: this.options.clockToleranceSeconds,
      }));
    } catch (error) {
      throw mapJoseError(error);
    }
    // jose checked that both are numbers; a long-lived token is refused even while fresh.
    if (
      typeof payload.exp !== 'number' ||
      typeof payload.iat !== 'number' ||
      payload.exp - payload.iat > this.options.maxLifetimeSeconds
    ) {
      throw new AuthenticationError('token_lifetime_too_long');
    }
    return payload;
  }

  private toCaller(payload: JWTPayload, person: boolean): Caller {
    const { sub, region, roles } = payload as JWTPayload & { region?: unknown; roles?: unknown };
    if (
      !identifier(sub, MAX_SERVICE_LENGTH) ||
      !identifier(region, MAX_REGION_LENGTH) ||
      !Array.isArray(roles) ||
      roles.length === 0 ||
      !roles.every((role): role is string => typeof role === 'string' && ROLE.test(role)) ||
      new Set(roles).size !== roles.length
    ) {
      throw new AuthenticationError('token_claims_invalid');
    }
    if (roles.length > this.options.maxRoles) throw new AuthenticationError('token_roles_too_many');
    if (person && !roles.every((role) => PEOPLE_ROLES.includes(role))) {
      throw new AuthenticationError('token_roles_not_for_people');
    }
    const service = person ? `${PERSON_PREFIX}${sub}` : sub;
    if (!person && sub.startsWith(PERSON_PREFIX))
      throw new AuthenticationError('token_claims_invalid');
    if (service.length > MAX_SERVICE_LENGTH) throw new AuthenticationError('token_claims_invalid');
    if (roles.includes(AUDITOR_ROLE) && roles.length > 1) {
      throw new AuthenticationError('token_roles_conflict');
    }
    const home = this.topology.find(region);
    if (home === undefined) throw new AuthenticationError('token_region_unknown');
    return {
      service,
      region: home.id,
      jurisdiction: home.jurisdiction,
      roles,
    };
  }
}

function unverifiedIssuer(token: string): unknown {
  try {
    return decodeJwt(token).iss;
  } catch {
    throw new AuthenticationError('token_malformed');
  }
}

function mapJoseError(error: unknown): Error {
  const code = error instanceof Error ? (error as { code?: unknown }).code : undefined;
  switch (code) {
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return new AuthenticationError('token_signature_invalid');
    case 'ERR_JWKS_NO_MATCHING_KEY':
    case 'ERR_JWKS_MULTIPLE_MATCHING_KEYS':
      return new AuthenticationError('token_key_unknown');
    case 'ERR_JWT_EXPIRED':
      return new AuthenticationError('token_expired');
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
      return new AuthenticationError('token_algorithm_rejected');
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED': {
      const claim = (error as { claim?: unknown }).claim;
      if (claim === 'aud') return new AuthenticationError('token_audience_invalid');
      if (claim === 'iss') return new AuthenticationError('token_issuer_invalid');
      if (claim === 'typ') return new AuthenticationError('token_type_invalid');
      if (claim === 'nbf') return new AuthenticationError('token_not_yet_valid');
      // An `iat` in the future (a missing or ill-typed one is simply invalid).
      if (claim === 'iat' && (error as { reason?: unknown }).reason === 'check_failed')
        return new AuthenticationError('token_not_yet_valid');
      return new AuthenticationError('token_claims_invalid');
    }
    case 'ERR_JWKS_TIMEOUT':
    case 'ERR_JWKS_INVALID':
      return new VerificationKeysUnavailableError(error);
    case 'ERR_JWS_INVALID':
    case 'ERR_JWT_INVALID':
    case 'ERR_JOSE_NOT_SUPPORTED':
      return new AuthenticationError('token_malformed');
    default:
      // A remote JWKS that cannot be fetched surfaces as a plain error: fail closed.
      return new VerificationKeysUnavailableError(error);
  }
}
