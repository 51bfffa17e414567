import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FieldSpec } from '../catalog/collection-catalog.js';
import { blindIndexHash, normalizeIndexedValue } from './blind-index.js';

const email: FieldSpec = {
  name: 'email',
  class: 'pii',
  type: 'string',
  indexed: true,
  normalize: 'email',
};
const username: FieldSpec = { name: 'username', class: 'public', type: 'string', indexed: true };
const key = Buffer.alloc(32, 3);

describe('blind index', () => {
  it('normalizes: trims, NFC, lower-cases e-mail only', () => {
    assert.equal(normalizeIndexedValue(email, '  Ada@Example.ORG '), 'ada@example.org');
    assert.equal(normalizeIndexedValue(username, ' Ada '), 'Ada');
    assert.equal(normalizeIndexedValue(username, 'Zoe\u0308'), 'Zoë');
  });

  it('is stable for equal normalized values and differs across fields and keys', () => {
    const a = blindIndexHash(key, 'profile', email, 'Ada@example.org', 16);
    assert.deepEqual(a, blindIndexHash(key, 'profile', email, ' ada@EXAMPLE.org', 16));
    assert.notDeepEqual(
      a,
      blindIndexHash(key, 'profile', { ...email, name: 'phone' }, 'ada@example.org', 16),
    );
    assert.notDeepEqual(
      a,
      blindIndexHash(Buffer.alloc(32, 4), 'profile', email, 'ada@example.org', 16),
    );
  });

  it('truncates to the configured length', () => {
    assert.equal(blindIndexHash(key, 'profile', email, 'x', 16).length, 16);
    assert.equal(blindIndexHash(key, 'profile', email, 'x', 1).length, 1);
  });
});
