import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkJsonStructure } from './json-structure.js';

const LIMITS = { maxDepth: 3, maxMembers: 10, maxStringBytes: 8 };
const check = (text: string) => checkJsonStructure(Buffer.from(text, 'utf8'), LIMITS);

describe('checkJsonStructure', () => {
  it('accepts bodies within every limit', () => {
    assert.equal(check('{"where":{"a":["x","y"]}}'), undefined);
    assert.equal(check('[1,2,3,4,5,6,7,8,9]'), undefined);
    assert.equal(check('"12345678"'), undefined);
  });

  it('counts nesting of objects and arrays alike', () => {
    assert.equal(check('[[[1]]]'), undefined);
    assert.equal(check('[[[[1]]]]'), 'json_too_deep');
    assert.equal(check('{"a":{"b":{"c":{}}}}'), 'json_too_deep');
    assert.equal(check(`${'['.repeat(200_000)}${']'.repeat(200_000)}`), 'json_too_deep');
  });

  it('counts each object, array and comma (members and items) at every level together', () => {
    assert.equal(check('[1,2,3,4,5,6,7,8,9,10]'), undefined); // 1 array + 9 commas
    assert.equal(check('[1,2,3,4,5,6,7,8,9,10,11]'), 'json_too_complex');
    assert.equal(check('{"a":[1,2,3],"b":[4,5,6],"c":[7,8]}'), 'json_too_complex');
  });

  it('measures strings as sent, and is not fooled by brackets or quotes inside them', () => {
    assert.equal(check('"123456789"'), 'json_string_too_long');
    assert.equal(check('{"123456789":1}'), 'json_string_too_long');
    assert.equal(check('["[[[[", "{{{{"]'), undefined);
    assert.equal(check('["\\\\\\"[[[["]'), undefined);
    assert.equal(check('[",,,,,,,,,,,,"]'), 'json_string_too_long');
  });
});
