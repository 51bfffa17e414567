import type { JsonStructureLimits } from '../config/gateway-config.js';

export type JsonStructureViolation = 'json_too_deep' | 'json_too_complex' | 'json_string_too_long';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_OBJECT = 0x7b;
const OPEN_ARRAY = 0x5b;
const CLOSE_OBJECT = 0x7d;
const CLOSE_ARRAY = 0x5d;
const COMMA = 0x2c;

/**
 * One linear pass over the raw bytes of a JSON text, before anything parses it: how deep it
 * nests, how many members and items it holds (each container and each comma count one), and
 * how long its longest string is. Stops at the first limit exceeded, so a hostile body costs at
 * most one pass over the bytes up to that point. It does not validate the syntax (the parser
 * does, once the text is known to be small enough to parse and to hand on).
 */
export function checkJsonStructure(
  body: Uint8Array,
  limits: JsonStructureLimits,
): JsonStructureViolation | undefined {
  let depth = 0;
  let members = 0;
  const length = body.length;
  for (let i = 0; i < length; i++) {
    const byte = body[i];
    if (byte === QUOTE) {
      const start = i + 1;
      i = start;
      while (i < length) {
        const inner = body[i];
        if (inner === QUOTE) break;
        i += inner === BACKSLASH ? 2 : 1;
      }
      if (i - start > limits.maxStringBytes) return 'json_string_too_long';
    } else if (byte === OPEN_OBJECT || byte === OPEN_ARRAY) {
      if (++depth > limits.maxDepth) return 'json_too_deep';
      if (++members > limits.maxMembers) return 'json_too_complex';
    } else if (byte === CLOSE_OBJECT || byte === CLOSE_ARRAY) {
      depth--;
    } else if (byte === COMMA) {
      if (++members > limits.maxMembers) return 'json_too_complex';
    }
  }
  return undefined;
}
