import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MalformedSubjectIdError, SubjectId } from './subject-id.js';

describe('SubjectId', () => {
  it('encodes the home region and parses back to it', () => {
    const id = SubjectId.generate('eu-central-1');
    assert.match(id.value, /^s1\.eu-central-1\.[0-9a-hjkmnp-tv-z]{26}$/);
    assert.equal(SubjectId.parse(id.value).homeRegion, 'eu-central-1');
  });

  it('is URL-safe and never repeats', () => {
    const ids = new Set(Array.from({ length: 2000 }, () => SubjectId.generate('us-east-1').value));
    assert.equal(ids.size, 2000);
    for (const id of ids) assert.equal(encodeURIComponent(id), id);
  });

  it('uses every base32 character (the random part is not biased)', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++)
      for (const c of SubjectId.generate('us-east-1').value.split('.')[2] ?? '') seen.add(c);
    assert.equal(seen.size, 32);
  });

  for (const raw of [
    '',
    'abc',
    's1.us-east-1',
    's2.us-east-1.0123456789abcdefghjkmnpqrs',
    's1.US-EAST-1.0123456789abcdefghjkmnpqrs',
    's1.us-east-1.0123456789abcdefghjkmnpqr', // 25 characters
    's1.us-east-1.0123456789abcdefghjkmnpqrst', // 27 characters
    's1.us-east-1.0123456789abcdefghjkmnpqri', // i is not in the alphabet
    's1.us-east-1.0123456789ABCDEFGHJKMNPQRS',
    's1.useast1.0123456789abcdefghjkmnpqrs',
    ' s1.us-east-1.0123456789abcdefghjkmnpqrs',
    's1.us-east-1.0123456789abcdefghjkmnpqrs\n',
    's1.us-east-1.0123456789abcdefghjkmnpq%2F',
  ]) {
    it(`rejects ${JSON.stringify(raw)} as malformed`, () => {
      assert.throws(() => SubjectId.parse(raw), MalformedSubjectIdError);
    });
  }

  it('parses a well-formed id for a region nobody configured (routing decides later)', () => {
    assert.equal(
      SubjectId.parse('s1.ap-south-1.0123456789abcdefghjkmnpqrs').homeRegion,
      'ap-south-1',
    );
  });
});
