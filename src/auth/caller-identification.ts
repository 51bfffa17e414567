import type { FastifyInstance } from 'fastify';
import type { AuthenticatedRequest } from './service-auth.guard.js';
import type { ServiceTokenVerifier } from './service-token.verifier.js';

/**
 * Verifies the bearer token of every request as it arrives (an `onRequest` hook, before the
 * rate limit, the body and the guard), so the rate limit counts requests against the verified
 * service and never against a name an unverified token claims. A refused token is kept on the
 * request: the guard answers 401 with it on protected routes, public routes ignore it.
 * Verified tokens are cached until they expire, so this costs one hash per request.
 */
export function identifyCallers(fastify: FastifyInstance, verifier: ServiceTokenVerifier): void {
  fastify.addHook('onRequest', async (raw) => {
    const request = raw as AuthenticatedRequest;
    const authorization = request.headers.authorization;
    if (authorization === undefined) return;
    try {
      request.caller = await verifier.verify(authorization);
    } catch (error) {
      request.authenticationError = error instanceof Error ? error : new Error(String(error));
    }
  });
}
