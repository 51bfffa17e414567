import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import canonicalize from 'canonicalize';
import { jcs } from './jcs.js';

describe('JCS (RFC 8785)', () => {
  it('matches the RFC’s own sorting and number examples', () => {
    // RFC 8785 §3.2.3 sorting example: keys in UTF-16 code unit order.
    const sorting = {
      '\u20ac': 'Euro Sign',
      '\r': 'Carriage Return',
      '\ufb33': 'Hebrew Letter Dalet With Dagesh',
      '1': 'One',
      '\ud83d\ude00': 'Emoji: Grinning Face',
      '\u0080': 'Control',
      '\u00f6': 'Latin Small Letter O With Diaeresis',
    };
    assert.match(
      jcs(sorting),
      /^\{"\\r":"Carriage Return","1":"One","\u0080":"Control","\u00f6":.*"\u20ac":.*"\u{1f600}":.*"\ufb33":/u,
    );
    // §3.2.2.3 numbers: ECMAScript's shortest round-trip form.
    assert.equal(
      jcs([1e21, 1e-7, -0, 0.000001, 333333333.3333333]),
      '[1e+21,1e-7,0,0.000001,333333333.3333333]',
    );
  });

  it('agrees with the reference implementation (canonicalize, by the RFC’s author) on varied input', () => {
    const samples: unknown[] = [
      { b: [3, { z: null, a: true }], a: 'x\u2028y"\\\n\t', é: 1.5, '': -12 },
      { decision_id: 'd', input: { caller: { roles: ['service'] }, resource: { fields: [] } } },
      [0.1, 100, 1e300, -1e-300, '\u0000\u001f'],
    ];
    for (let seed = 1; seed <= 200; seed++) samples.push(randomValue(seed, 4));
    for (const sample of samples) assert.equal(jcs(sample), canonicalize(sample));
  });

  it('sorts integer-like keys as strings, as the RFC does and JavaScript objects do not', () => {
    const value = { '10': 'ten', '9': 'nine', a: { '2': [1, { '1': true }] } };
    assert.equal(jcs(value), canonicalize(value));
    assert.equal(jcs(value), '{"10":"ten","9":"nine","a":{"2":[1,{"1":true}]}}');
  });

  it('refuses what is not I-JSON', () => {
    assert.throws(() => jcs({ a: Number.NaN }), TypeError);
    assert.throws(() => jcs('\ud800'), TypeError);
    assert.throws(() => jcs({ x: () => 1 }), TypeError);
  });
});

/** A small deterministic generator of JSON values (no dependency on Math.random). */
function randomValue(seed: number, depth: number): unknown {
  let state = seed;
  const next = (): number => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
  const make = (level: number): unknown => {
    const kind = Math.floor(next() * (level > 0 ? 7 : 5));
    switch (kind) {
      case 0:
        return null;
      case 1:
        return next() > 0.5;
      case 2:
        return (next() - 0.5) * 10 ** Math.floor(next() * 40 - 20);
      case 3:
        return Math.floor(next() * 1e6);
      case 4:
        return String.fromCharCode(
          ...Array.from({ length: Math.floor(next() * 6) }, () => Math.floor(next() * 0x3000)),
        );
      case 5:
        return Array.from({ length: Math.floor(next() * 4) }, () => make(level - 1));
      default: {
        const object: Record<string, unknown> = {};
        for (let i = Math.floor(next() * 4); i > 0; i--)
          object[String.fromCharCode(0x20 + Math.floor(next() * 0x2000))] = make(level - 1);
        return object;
      }
    }
  };
  return make(depth);
}
