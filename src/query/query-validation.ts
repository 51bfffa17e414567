import type { CollectionSpec } from '../catalog/collection-catalog.js';
import type { WhereValue } from '../vault/record-vault.js';
import { InvalidQueryError } from './query.errors.js';

/**
 * A query's `where`: 1 to 8 equality matches on indexed fields of the collection (the blind
 * index can only answer those), each value a scalar; 422 naming what is wrong otherwise.
 */
export function validateWhere(
  collection: CollectionSpec,
  where: Readonly<Record<string, unknown>>,
): Record<string, WhereValue> {
  const entries = Object.entries(where);
  if (entries.length === 0 || entries.length > 8) {
    throw new InvalidQueryError(
      'invalid_query',
      'Invalid query',
      'where needs 1 to 8 field: value pairs.',
    );
  }
  const valid: Record<string, WhereValue> = {};
  for (const [field, value] of entries) {
    const spec = collection.fields.get(field);
    if (spec === undefined)
      throw new InvalidQueryError(
        'unknown_field',
        'Unknown field',
        `${collection.name} has no field ${field}.`,
        field,
      );
    if (!spec.indexed) {
      throw new InvalidQueryError(
        'field_not_indexed',
        'Field not indexed',
        `Queries match on indexed fields only; ${field} is not.`,
        field,
      );
    }
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
      throw new InvalidQueryError(
        'invalid_query',
        'Invalid query',
        `where.${field} must be a string, number or boolean (equality only).`,
        field,
      );
    }
    valid[field] = value;
  }
  return valid;
}

/** The fields a query returns: all of the collection's by default; unknown ones are 422. */
export function validateFields(
  collection: CollectionSpec,
  fields: readonly string[] | undefined,
): string[] {
  if (fields === undefined) return [...collection.fields.keys()];
  const unknown = fields.find((field) => !collection.fields.has(field));
  if (unknown !== undefined)
    throw new InvalidQueryError(
      'unknown_field',
      'Unknown field',
      `${collection.name} has no field ${unknown}.`,
      unknown,
    );
  return [...new Set(fields)];
}
