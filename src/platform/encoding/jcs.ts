/**
 * RFC 8785 JSON Canonicalization Scheme (JCS): the exact bytes an audit leaf is, so anyone can
 * re-derive them from the decoded entry. Object members sorted by their UTF-16 code units
 * (JavaScript's default sort), strings and numbers serialized as ECMAScript's JSON.stringify
 * does, no whitespace. Input must be I-JSON: finite numbers, no lone surrogates.
 *
 * The fast path is JSON.stringify itself (native, and JCS's reference for strings and numbers)
 * fed objects rebuilt with their members in sorted order. JavaScript lists integer-like keys
 * first whatever the insertion order, so a value holding such a key is written by hand.
 */
export function jcs(value: unknown): string {
  try {
    const text = JSON.stringify(value, canonicalMember) as string | undefined;
    if (text === undefined) throw new TypeError('JCS: cannot encode undefined');
    return text;
  } catch (error) {
    if (error === INTEGER_KEYS) return handWritten(value);
    throw error;
  }
}

const INTEGER_KEY = /^(?:0|[1-9][0-9]*)$/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const INTEGER_KEYS = Symbol('integer-like keys');

/** The JSON.stringify replacer: validates leaves and sorts members. */
function canonicalMember(_key: string, value: unknown): unknown {
  switch (typeof value) {
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError('JCS: numbers must be finite');
      return value;
    case 'string':
      if (LONE_SURROGATE.test(value)) throw new TypeError('JCS: strings must be valid Unicode');
      return value;
    case 'boolean':
      return value;
    case 'object': {
      if (value === null || Array.isArray(value)) return value;
      const record = value as Record<string, unknown>;
      const keys = Object.keys(record).sort();
      const sorted: Record<string, unknown> = {};
      for (const key of keys) {
        if (LONE_SURROGATE.test(key)) throw new TypeError('JCS: keys must be valid Unicode');
        // eslint-disable-next-line @typescript-eslint/only-throw-error -- a sentinel, caught above
        if (INTEGER_KEY.test(key)) throw INTEGER_KEYS;
        sorted[key] = record[key];
      }
      return sorted;
    }
    case 'undefined':
      return value; // omitted as a member, as JSON.stringify omits it
    case 'bigint':
    case 'function':
    case 'symbol':
      break;
  }
  throw new TypeError(`JCS: cannot encode ${typeof value}`);
}

/** The same serialization written out by hand (the slow path). */
function handWritten(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
    case 'number':
    case 'string':
      return JSON.stringify(canonicalMember('', value));
    case 'object': {
      if (Array.isArray(value)) return `[${value.map(handWritten).join(',')}]`;
      const record = value as Record<string, unknown>;
      const members = Object.keys(record)
        .filter((key) => record[key] !== undefined)
        .sort()
        .map((key) => {
          if (LONE_SURROGATE.test(key)) throw new TypeError('JCS: keys must be valid Unicode');
          return `${JSON.stringify(key)}:${handWritten(record[key])}`;
        });
      return `{${members.join(',')}}`;
    }
    case 'undefined':
    case 'bigint':
    case 'function':
    case 'symbol':
      break;
  }
  throw new TypeError(`JCS: cannot encode ${typeof value}`);
}
