import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidRequestError } from '../platform/errors/domain-error.js';
import { checkPrecondition, parsePrecondition } from './preconditions.js';
import { VersionConflictError } from './record.errors.js';

describe('write preconditions', () => {
  it('parses If-Match and If-None-Match', () => {
    assert.deepEqual(parsePrecondition(undefined, undefined), { kind: 'none' });
    assert.deepEqual(parsePrecondition('*', undefined), { kind: 'exists' });
    assert.deepEqual(parsePrecondition(undefined, '*'), { kind: 'absent' });
    assert.deepEqual(parsePrecondition('"3", W/"4"', undefined), {
      kind: 'version',
      versions: [3, 4],
    });
    for (const bad of ['3', '"x"', '"3', ''])
      assert.throws(() => parsePrecondition(bad, undefined), InvalidRequestError);
    assert.throws(() => parsePrecondition(undefined, '"3"'), InvalidRequestError);
  });

  it('holds or fails with 412', () => {
    checkPrecondition({ kind: 'version', versions: [2] }, 2);
    assert.throws(() => {
      checkPrecondition({ kind: 'version', versions: [1] }, 2);
    }, VersionConflictError);
    assert.throws(() => {
      checkPrecondition({ kind: 'version', versions: [1] }, null);
    }, VersionConflictError);
    assert.throws(() => {
      checkPrecondition({ kind: 'exists' }, null);
    }, VersionConflictError);
    assert.throws(() => {
      checkPrecondition({ kind: 'absent' }, 1);
    }, VersionConflictError);
    checkPrecondition({ kind: 'absent' }, null);
    checkPrecondition({ kind: 'none' }, 9);
  });
});
