/**
 * OPA's canonical JSON for bundle file hashes (v1/bundle/hash.go): object keys sorted by
 * byte order, no whitespace, primitives as Go's encoding/json writes them without HTML
 * escaping. Numbers are re-encoded from their parsed value, which matches OPA for the
 * integers and plain decimals policy data uses; anything else fails verification (closed).
 */
export function canonicalJson(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  switch (typeof value) {
    case 'string':
      return goString(value);
    case 'number':
      if (!Number.isFinite(value)) throw new Error('non-finite number');
      return String(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object': {
      const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) =>
        Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')),
      );
      return `{${entries.map(([key, item]) => `${goString(key)}:${canonicalJson(item)}`).join(',')}}`;
    }
    case 'bigint':
    case 'function':
    case 'symbol':
    case 'undefined':
      break;
  }
  throw new Error(`cannot encode ${typeof value}`);
}

/** A JSON string as Go's encoder writes it with SetEscapeHTML(false). */
function goString(text: string): string {
  let out = '"';
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    if (char === '"') out += '\\"';
    else if (char === '\\') out += '\\\\';
    else if (char === '\n') out += '\\n';
    else if (char === '\r') out += '\\r';
    else if (char === '\t') out += '\\t';
    else if (code < 0x20 || code === 0x2028 || code === 0x2029)
      out += `\\u${code.toString(16).padStart(4, '0')}`;
    else if (code >= 0xd800 && code <= 0xdfff) out += '\ufffd';
    else out += char;
  }
  return `${out}"`;
}
