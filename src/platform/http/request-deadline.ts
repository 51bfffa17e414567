import type { FastifyInstance } from 'fastify';

/**
 * Gives every request its time budget as it arrives (the first hook): `request.deadline`, on
 * the `performance.now()` clock, `budgetMs` from now. Everything the request then calls — the
 * store, a peer cell, a query's regions — gets at most what is left (see RequestContext).
 */
export function stampDeadlines(fastify: FastifyInstance, budgetMs: number): void {
  fastify.addHook('onRequest', (request, _reply, done) => {
    (request as { deadline?: number }).deadline = performance.now() + budgetMs;
    done();
  });
}
