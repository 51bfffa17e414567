import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PayloadTooLargeException } from '@nestjs/common';
import { DomainError } from '../errors/domain-error.js';
import { toProblem } from './problem.js';

describe('toProblem', () => {
  it('keeps a domain error’s code, status and detail, and lets no extension overwrite them', () => {
    const error = new DomainError('unknown_region', 404, 'Unknown region', {
      detail: 'no route',
      extensions: { region: 'ap-south-1', status: 200, code: 'ok' },
    });
    const problem = toProblem(error, 'req-1');
    assert.equal(problem.status, 404);
    assert.deepEqual(problem.body, {
      type: 'urn:residency-gateway:problem:unknown_region',
      title: 'Unknown region',
      status: 404,
      code: 'unknown_region',
      detail: 'no route',
      requestId: 'req-1',
      region: 'ap-south-1',
    });
  });

  it('reduces an unexpected error to a generic 500 without its message or stack', () => {
    const error = new Error(
      'duplicate key value violates unique constraint "subjects_pkey" Key (id)=(s1.us-east-1.x)',
    );
    const problem = toProblem(error, 'req-2');
    assert.equal(problem.status, 500);
    assert.equal(problem.body.code, 'internal_error');
    assert.doesNotMatch(JSON.stringify(problem.body), /duplicate|subjects_pkey|s1\.us-east-1|at /);
  });

  it('maps framework errors by status', () => {
    assert.equal(toProblem(new PayloadTooLargeException(), 'r').body.code, 'payload_too_large');
    assert.equal(
      toProblem(Object.assign(new Error('x'), { statusCode: 400 }), 'r').body.code,
      'malformed_body',
    );
    assert.equal(
      toProblem(Object.assign(new Error('x'), { statusCode: 415 }), 'r').body.code,
      'unsupported_media_type',
    );
  });
});
