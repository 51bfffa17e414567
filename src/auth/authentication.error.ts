import { DomainError } from '../platform/errors/domain-error.js';

/** Why a bearer token was refused. Each has its own stable problem code. */
export type AuthenticationFailure =
  | 'token_missing'
  | 'token_malformed'
  | 'token_algorithm_rejected'
  | 'token_key_unknown'
  | 'token_signature_invalid'
  | 'token_expired'
  | 'token_not_yet_valid'
  | 'token_audience_invalid'
  | 'token_issuer_invalid'
  | 'token_lifetime_too_long'
  | 'token_claims_invalid'
  | 'token_roles_too_many'
  | 'token_roles_conflict'
  | 'token_region_unknown'
  | 'token_roles_not_for_people'
  | 'token_type_invalid';

const DETAILS: Record<AuthenticationFailure, string> = {
  token_missing: 'Send Authorization: Bearer <service token>.',
  token_malformed: 'The bearer token is not a well-formed JWS compact JWT.',
  token_algorithm_rejected: 'Only ES256 and EdDSA service tokens are accepted.',
  token_key_unknown: 'No configured verification key matches the token.',
  token_signature_invalid: 'The token signature does not verify.',
  token_expired: 'The token has expired.',
  token_not_yet_valid: 'The token is not valid yet (nbf or iat in the future).',
  token_audience_invalid: 'The token was not issued for this gateway.',
  token_issuer_invalid: 'The token does not name the issuer this gateway trusts (iss).',
  token_lifetime_too_long:
    'The token lives longer (exp - iat) than this gateway accepts; ask for a shorter-lived one.',
  token_claims_invalid:
    'The token lacks a valid sub, roles, region, iat or exp claim (identifiers are printable ASCII of bounded length).',
  token_roles_too_many: 'The token carries more roles than this gateway accepts.',
  token_roles_conflict:
    'The auditor role is never combined with another role (separation of duties).',
  token_region_unknown: 'The token names a region this gateway does not know.',
  token_roles_not_for_people:
    'A token from the people’s OpenID provider may carry only the auditor, legal and privacy roles.',
  token_type_invalid:
    'A person’s token must be an OAuth access token (typ at+jwt), not an ID token.',
};

export class AuthenticationError extends DomainError {
  constructor(readonly failure: AuthenticationFailure) {
    super(failure, 401, 'Unauthenticated', {
      detail: DETAILS[failure],
      logLevel: 'info',
      headers: {
        'WWW-Authenticate': `Bearer error="invalid_token", error_description="${failure}"`,
      },
    });
  }
}

/** The verification keys could not be fetched: fail closed with 503, never let a token through. */
export class VerificationKeysUnavailableError extends DomainError {
  constructor(cause: unknown) {
    super('verification_keys_unavailable', 503, 'Verification keys unavailable', {
      detail: 'The gateway cannot fetch its token verification keys.',
      cause,
    });
  }
}
