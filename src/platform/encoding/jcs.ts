/**
 * RFC 8785 JSON Canonicalization Scheme (JCS): the exact bytes an audit leaf is, so anyone can
 * re-derive them from the decoded entry. Object members sorted by their UTF-16 code units
 * (JavaScript's default sort), strings and numbers serialized as ECMAScript's JSON.stringify
 * does, no whitespace. Input must be I-JSON: finite numbers, no lone surrogates.
 */
export function jcs(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError('JCS: numbers must be finite');
      return JSON.stringify(value);
    case 'string':
      if (LONE_SURROGATE.test(value)) throw new TypeError('JCS: strings must be valid Unicode');
      return JSON.stringify(value);
    case 'object': {
      if (Array.isArray(value)) return `[${value.map(jcs).join(',')}]`;
      const record = value as Record<string, unknown>;
      const members = Object.keys(record)
        .filter((key) => record[key] !== undefined)
        .sort()
        .map((key) => {
          if (LONE_SURROGATE.test(key)) throw new TypeError('JCS: keys must be valid Unicode');
          return `${JSON.stringify(key)}:${jcs(record[key])}`;
        });
      return `{${members.join(',')}}`;
    }
    case 'bigint':
    case 'function':
    case 'symbol':
    case 'undefined':
      break;
  }
  throw new TypeError(`JCS: cannot encode ${typeof value}`);
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
