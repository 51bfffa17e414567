import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { PROJECT_ROOT } from '../platform/paths.js';
import {
  CollectionCatalog,
  InvalidRecordError,
  UnknownCollectionError,
} from './collection-catalog.js';

// The catalog as the bundle carries it (data.json residency.catalog, from this source file).
const catalog = new CollectionCatalog(
  JSON.parse(
    readFileSync(
      join(PROJECT_ROOT, 'policies', 'bundle', 'residency', 'catalog', 'data.json'),
      'utf8',
    ),
  ),
  'residency.catalog',
);

function problems(collection: string, document: unknown): { code: string; errors: unknown } {
  try {
    catalog.validate(collection, document);
  } catch (error) {
    assert.ok(error instanceof InvalidRecordError);
    return { code: error.code, errors: error.extensions['errors'] };
  }
  assert.fail('expected the record to be refused');
}

describe('CollectionCatalog', () => {
  it('declares the three collections with their data classes and indexed fields', () => {
    assert.deepEqual(catalog.names().sort(), ['direct_message', 'profile', 'watch_event']);
    const profile = catalog.collection('profile');
    assert.equal(profile.fields.get('email')?.class, 'pii');
    assert.equal(profile.fields.get('birthDate')?.class, 'sensitive');
    assert.deepEqual(
      profile.indexedFields.map((f) => f.name),
      ['username', 'email', 'phone'],
    );
    assert.equal(catalog.collection('direct_message').fields.get('body')?.class, 'content');
  });

  it('accepts a valid record and null values', () => {
    const doc = {
      displayName: 'Ada',
      email: 'ada@example.org',
      birthDate: '1990-01-31',
      createdAt: '2026-01-01T00:00:00Z',
      phone: null,
    };
    assert.deepEqual(catalog.validate('profile', doc), doc);
    assert.deepEqual(catalog.validate('watch_event', { videoId: 'v1', watchedMs: 0 }), {
      videoId: 'v1',
      watchedMs: 0,
    });
  });

  it('refuses an unknown collection', () => {
    assert.throws(() => catalog.validate('wallet', {}), UnknownCollectionError);
  });

  it('names every unknown or ill-typed field', () => {
    assert.deepEqual(problems('profile', { displayName: 'x', ssn: '123' }), {
      code: 'unknown_field',
      errors: [{ field: 'ssn', problem: 'unknown_field' }],
    });
    const typed = problems('watch_event', { watchedMs: 1.5, at: 'yesterday', videoId: 7 });
    assert.equal(typed.code, 'invalid_field');
    assert.deepEqual(
      (typed.errors as { field: string }[]).map((e) => e.field),
      ['watchedMs', 'at', 'videoId'],
    );
    assert.equal(problems('watch_event', { watchedMs: -1 }).code, 'invalid_field');
    assert.equal(problems('profile', { birthDate: '1990-13-45' }).code, 'invalid_field');
    assert.equal(problems('profile', { username: 'u'.repeat(65) }).code, 'invalid_field');
  });

  it('refuses a record that is not an object', () => {
    for (const doc of [null, [], 'text', 3])
      assert.throws(() => catalog.validate('profile', doc), InvalidRecordError);
  });
});
