import { HttpException } from '@nestjs/common';
import { DomainError, type ErrorLogLevel } from '../errors/domain-error.js';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** An RFC 9457 problem document with the gateway's stable `code`. */
export interface ProblemDocument {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly code: string;
  readonly detail?: string;
  readonly requestId: string;
  readonly [extension: string]: unknown;
}

export interface ProblemResponse {
  readonly status: number;
  readonly body: ProblemDocument;
  readonly headers: Readonly<Record<string, string>>;
  readonly logLevel: ErrorLogLevel;
}

export function problemType(code: string): string {
  return `urn:residency-gateway:problem:${code}`;
}

const STANDARD_MEMBERS = new Set([
  'type',
  'title',
  'status',
  'code',
  'detail',
  'requestId',
  'instance',
]);

/** Extensions may add members but never overwrite the standard ones. */
function withoutStandardMembers(extensions: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(extensions).filter(([key]) => !STANDARD_MEMBERS.has(key)),
  );
}

interface Translated {
  code: string;
  status: number;
  title: string;
  detail?: string;
  logLevel: ErrorLogLevel;
}

/** Errors raised by Fastify itself (body parsing, limits) before a route handler runs. */
function fromFrameworkStatus(status: number): Translated | undefined {
  switch (status) {
    case 400:
      return {
        code: 'malformed_body',
        status,
        title: 'Malformed request body',
        detail: 'The body is not valid JSON.',
        logLevel: 'none',
      };
    case 404:
      return { code: 'route_not_found', status, title: 'Not found', logLevel: 'none' };
    case 405:
      return { code: 'method_not_allowed', status, title: 'Method not allowed', logLevel: 'none' };
    case 413:
      return {
        code: 'payload_too_large',
        status,
        title: 'Payload too large',
        detail: 'The request body exceeds the size limit.',
        logLevel: 'info',
      };
    case 415:
      return {
        code: 'unsupported_media_type',
        status,
        title: 'Unsupported media type',
        detail: 'Send application/json.',
        logLevel: 'none',
      };
    default:
      return undefined;
  }
}

/**
 * Maps any error to the problem response a client sees. Only domain errors contribute their
 * own text; anything else is reduced to a generic message, so no driver text, stack or
 * internal detail reaches a client.
 */
export function toProblem(error: unknown, requestId: string): ProblemResponse {
  if (error instanceof DomainError) {
    return {
      status: error.status,
      headers: error.headers,
      logLevel: error.logLevel,
      body: {
        type: problemType(error.code),
        title: error.title,
        status: error.status,
        code: error.code,
        ...(error.detail === undefined ? {} : { detail: error.detail }),
        requestId,
        ...withoutStandardMembers(error.extensions),
      },
    };
  }
  const status =
    error instanceof HttpException
      ? error.getStatus()
      : typeof (error as { statusCode?: unknown } | null)?.statusCode === 'number'
        ? (error as { statusCode: number }).statusCode
        : 500;
  const translated: Translated = fromFrameworkStatus(status) ?? {
    code: status >= 500 ? 'internal_error' : 'request_rejected',
    status: status >= 400 && status < 600 ? status : 500,
    title: status >= 500 ? 'Internal error' : 'Request rejected',
    logLevel: status >= 500 ? 'error' : 'info',
  };
  return {
    status: translated.status,
    headers: {},
    logLevel: translated.logLevel,
    body: {
      type: problemType(translated.code),
      title: translated.title,
      status: translated.status,
      code: translated.code,
      ...(translated.detail === undefined ? {} : { detail: translated.detail }),
      requestId,
    },
  };
}
