import type { FastifyRequest } from 'fastify';
import { caseHomeRegion } from '../cases/case-id.js';
import type { PolicySnapshot } from '../policy/policy-snapshot.js';
import type { RegionTopology } from '../regions/region-topology.js';
import { SubjectId } from '../subjects/subject-id.js';
import { selectHomeRegion } from '../subjects/home-region.selector.js';

/** What a locator may consult to find the region a request is about. */
export interface LocatorContext {
  readonly topology: RegionTopology;
  readonly policy: () => PolicySnapshot;
}

/**
 * The region a request is about, or undefined when it names none this process could route
 * (malformed ids and missing parameters are left to the route's own handler to refuse).
 */
export type RegionLocator = (
  request: FastifyRequest,
  context: LocatorContext,
) => string | undefined;

function quietly(find: () => string | undefined): string | undefined {
  try {
    return find();
  } catch {
    return undefined;
  }
}

function param(request: FastifyRequest, name: string): string | undefined {
  const value = (request.params as Record<string, unknown> | undefined)?.[name];
  return typeof value === 'string' ? value : undefined;
}

function field(source: unknown, name: string): unknown {
  return typeof source === 'object' && source !== null && !Array.isArray(source)
    ? (source as Record<string, unknown>)[name]
    : undefined;
}

/** The subject id in the path: it names its home region (self-routing, DESIGN §3). */
const bySubject: RegionLocator = (request) =>
  quietly(() => {
    const raw = param(request, 'subjectId');
    return raw === undefined ? undefined : SubjectId.parse(raw).homeRegion;
  });

/** The case id in the path: also self-routing. */
const byCase: RegionLocator = (request) =>
  quietly(() => {
    const raw = param(request, 'caseId');
    return raw === undefined ? undefined : caseHomeRegion(raw);
  });

/** The first subject a new case names (the cases service refuses a case spanning regions). */
const byCaseSubjects: RegionLocator = (request) =>
  quietly(() => {
    const ids = field(request.body, 'subjectIds');
    const first: unknown = Array.isArray(ids) ? ids[0] : undefined;
    return typeof first === 'string' ? SubjectId.parse(first).homeRegion : undefined;
  });

/**
 * A new subject is homed in its country's jurisdiction: here when this process serves a region
 * of it, otherwise in one of the peers of that jurisdiction (by placement weight).
 */
const byCountry: RegionLocator = (request, { topology, policy }) =>
  quietly(() => {
    const country = field(request.body, 'country');
    if (typeof country !== 'string') return undefined;
    const jurisdiction = policy().jurisdictions.jurisdictionOf(country);
    if (jurisdiction === undefined) return undefined;
    return selectHomeRegion(topology.placementCandidates(jurisdiction))?.id;
  });

/** The audit log a read names (`?region=`), or a cosignature / verification body's `region`. */
const byRegionQuery: RegionLocator = (request) => {
  const region = field(request.query, 'region');
  return typeof region === 'string' ? region : undefined;
};

const byRegionBody: RegionLocator = (request) => {
  const region = field(request.body, 'region');
  return typeof region === 'string' ? region : undefined;
};

/**
 * Every route about one region's data, by `METHOD pattern`, and how to find that region. A
 * request whose region another cell serves is forwarded there whole; anything else is served
 * here. `POST /v1/query` is not listed: it sends each region's part to that region's cell
 * itself (query module). Routes about this process only (policy, health, metrics, docs) are in
 * {@link SERVED_LOCALLY}; a test checks every route of the API is in one of the two.
 */
export const FORWARDED_ROUTES: Readonly<Record<string, RegionLocator>> = {
  'POST /v1/subjects': byCountry,
  'GET /v1/subjects/:subjectId': bySubject,
  'DELETE /v1/subjects/:subjectId': bySubject,
  'PUT /v1/subjects/:subjectId/records/:collection/:recordId': bySubject,
  'GET /v1/subjects/:subjectId/records/:collection/:recordId': bySubject,
  'DELETE /v1/subjects/:subjectId/records/:collection/:recordId': bySubject,
  'GET /v1/subjects/:subjectId/records/:collection': bySubject,
  'POST /v1/cases': byCaseSubjects,
  'GET /v1/cases': byRegionQuery,
  'GET /v1/cases/:caseId': byCase,
  'POST /v1/cases/:caseId/approve': byCase,
  'POST /v1/cases/:caseId/close': byCase,
  'GET /v1/audit/decisions': byRegionQuery,
  'GET /v1/audit/export': byRegionQuery,
  'GET /v1/audit/verify': byRegionQuery,
  'POST /v1/audit/verify': byRegionBody,
  'POST /v1/audit/verify/progress': byRegionBody,
  'GET /v1/audit/checkpoint': byRegionQuery,
  'GET /v1/audit/checkpoints': byRegionQuery,
  'GET /v1/audit/entries': byRegionQuery,
  'GET /v1/audit/proofs/inclusion': byRegionQuery,
  'GET /v1/audit/proofs/consistency': byRegionQuery,
  'GET /v1/audit/receipts/:decisionId': byRegionQuery,
  'POST /v1/audit/cosignatures': byRegionBody,
  'GET /v1/audit/health': byRegionQuery,
  'GET /v1/audit/flows': byRegionQuery,
  'GET /v1/audit/reviews': byRegionQuery,
  'POST /v1/audit/reviews': byRegionBody,
};

/** Routes answered by the process that receives them, whatever regions it serves. */
export const SERVED_LOCALLY: readonly string[] = [
  'GET /v1/policy',
  // The console's page and settings: the same in every cell.
  'GET /console',
  'GET /console/config.json',
  'GET /console/:file',
  'POST /v1/query',
  'POST /v1/query/parts',
];
