import { createHash } from 'node:crypto';
import { decodeProtectedHeader, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { LRUCache } from 'lru-cache';
import type { Caller } from '../platform/http/request-context.js';
import type { RegionTopology } from '../regions/region-topology.js';
import { AuthenticationError, VerificationKeysUnavailableError } from './authentication.error.js';

/** Asymmetric algorithms only: a shared HMAC secret would let any verifier mint tokens. */
export const ACCEPTED_ALGORITHMS = ['ES256', 'EdDSA', 'Ed25519'] as const;

// The signature part may be empty so that `alg: none` tokens reach the algorithm check.
const BEARER = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*)$/;

export interface VerifierOptions {
  readonly audience: string;
  readonly clockToleranceSeconds: number;
}

/**
 * Verifies a service's bearer token and turns it into a {@link Caller}. Every rejection is an
 * {@link AuthenticationError} with its own code; nothing about the token is logged.
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
    const payload = await this.verifySignatureAndClaims(token);
    const caller = this.toCaller(payload);
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

  private async verifySignatureAndClaims(token: string): Promise<JWTPayload> {
    try {
      const { payload } = await jwtVerify(token, this.keys, {
        algorithms: [...ACCEPTED_ALGORITHMS],
        audience: this.options.audience,
        requiredClaims: ['exp', 'sub'],
        clockTolerance: this.options.clockToleranceSeconds,
      });
      return payload;
    } catch (error) {
      throw mapJoseError(error);
    }
  }

  private toCaller(payload: JWTPayload): Caller {
    const { sub, region, roles } = payload as JWTPayload & { region?: unknown; roles?: unknown };
    if (
      typeof sub !== 'string' ||
      sub.length === 0 ||
      sub.length > 200 ||
      typeof region !== 'string' ||
      !Array.isArray(roles) ||
      roles.length === 0 ||
      !roles.every((role) => typeof role === 'string' && role.length > 0)
    ) {
      throw new AuthenticationError('token_claims_invalid');
    }
    const home = this.topology.find(region);
    if (home === undefined) throw new AuthenticationError('token_region_unknown');
    return {
      service: sub,
      region: home.id,
      jurisdiction: home.jurisdiction,
      roles: roles as string[],
    };
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
      if (claim === 'nbf') return new AuthenticationError('token_not_yet_valid');
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
