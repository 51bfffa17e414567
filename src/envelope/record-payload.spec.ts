import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { IntegrityViolationError } from './envelope-format.js';
import { decodePayload, encodePayload } from './record-payload.js';

describe('record payload', () => {
  it('format 2 carries the document and its writer', () => {
    const encoded = encodePayload({ senderId: 'u-1', n: 2, ok: true, gone: null }, 'svc:messaging');
    assert.equal(
      encoded.toString(),
      '{"document":{"senderId":"u-1","n":2,"ok":true,"gone":null},"writer":"svc:messaging"}',
    );
    assert.deepEqual(decodePayload(2, encoded), {
      document: { senderId: 'u-1', n: 2, ok: true, gone: null },
      writer: 'svc:messaging',
    });
  });

  it('format 1 is the document alone, from an unknown writer', () => {
    assert.deepEqual(decodePayload(1, Buffer.from('{"a":"b"}')), {
      document: { a: 'b' },
      writer: null,
    });
  });

  it('never seals a record without its writer', () => {
    assert.throws(() => encodePayload({}, ''), RangeError);
  });

  it('refuses any other shape as an integrity violation', () => {
    for (const [version, text] of [
      [2, '{"a":"b"}'],
      [2, '{"document":{},"writer":""}'],
      [2, '{"document":{},"writer":7}'],
      [2, '{"document":{}}'],
      [2, '{"document":[],"writer":"svc:x"}'],
      [2, '{"document":{"a":{"nested":1}},"writer":"svc:x"}'],
      [2, '{"document":{},"writer":"svc:x","extra":1}'],
      [2, 'not json'],
      [1, '[]'],
      [1, 'null'],
    ] as const) {
      assert.throws(() => decodePayload(version, Buffer.from(text)), IntegrityViolationError, text);
    }
  });
});
