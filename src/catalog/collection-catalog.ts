import { z } from 'zod';
import { ConfigError } from '../platform/config/config.error.js';
import { UnprocessableError } from '../platform/errors/domain-error.js';

export const DATA_CLASSES = [
  'public',
  'metadata',
  'pseudonymous',
  'pii',
  'sensitive',
  'content',
] as const;
export type DataClass = (typeof DATA_CLASSES)[number];

/** `public` and `metadata` may cross borders; the rest are protected (DESIGN §3). */
export const EXCEPTED_CLASSES: ReadonlySet<DataClass> = new Set(['public', 'metadata']);

const FIELD_TYPES = ['string', 'integer', 'number', 'boolean', 'date', 'datetime'] as const;
export type FieldType = (typeof FIELD_TYPES)[number];

const fieldSchema = z.strictObject({
  class: z.enum(DATA_CLASSES),
  type: z.enum(FIELD_TYPES),
  indexed: z.boolean().default(false),
  normalize: z.enum(['email']).optional(),
  maxLength: z.number().int().positive().optional(),
  minimum: z.number().optional(),
});

const catalogSchema = z.strictObject({
  collections: z.record(
    z.string().regex(/^[a-z][a-z0-9_]{0,62}$/),
    z.strictObject({
      description: z.string().optional(),
      fields: z.record(z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,62}$/), fieldSchema),
    }),
  ),
});

export interface FieldSpec extends z.infer<typeof fieldSchema> {
  readonly name: string;
}

export interface CollectionSpec {
  readonly name: string;
  readonly fields: ReadonlyMap<string, FieldSpec>;
  readonly indexedFields: readonly FieldSpec[];
}

/** A record's fields after validation against its collection. */
export type RecordDocument = Readonly<Record<string, string | number | boolean | null>>;

export interface FieldProblem {
  readonly field: string;
  readonly problem: 'unknown_field' | 'wrong_type' | 'too_long' | 'too_small';
  readonly expected?: string;
}

export class UnknownCollectionError extends UnprocessableError {
  constructor(collection: string) {
    super(
      'unknown_collection',
      'Unknown collection',
      `There is no collection named ${JSON.stringify(collection.slice(0, 64))}.`,
      {
        collection: collection.slice(0, 64),
      },
    );
  }
}

/** A record that does not match its collection's schema; names every offending field. */
export class InvalidRecordError extends UnprocessableError {
  constructor(problems: readonly FieldProblem[]) {
    const first = problems[0];
    const code = problems.some((p) => p.problem === 'unknown_field')
      ? 'unknown_field'
      : 'invalid_field';
    super(
      code,
      code === 'unknown_field' ? 'Unknown field' : 'Invalid field',
      first === undefined
        ? 'The record must be a JSON object.'
        : `Field ${first.field}: ${first.problem.replace('_', ' ')}.`,
      { field: first?.field, errors: problems },
    );
  }
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;

function typeMatches(type: FieldType, value: unknown): boolean {
  switch (type) {
    case 'string':
      return typeof value === 'string';
    case 'integer':
      return Number.isSafeInteger(value);
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'boolean':
      return typeof value === 'boolean';
    case 'date':
      return typeof value === 'string' && DATE.test(value) && !Number.isNaN(Date.parse(value));
    case 'datetime':
      return (
        typeof value === 'string' &&
        value.length <= 40 &&
        /^\d{4}-\d{2}-\d{2}T/.test(value) &&
        !Number.isNaN(Date.parse(value))
      );
  }
}

/**
 * The collection catalog from the verified policy bundle's data (`residency.catalog`): every
 * collection, its fields, their data class and JSON type. One signed artifact says what data
 * exists, how it is classed and who may see it; writes are validated against it.
 */
export class CollectionCatalog {
  private readonly collections: ReadonlyMap<string, CollectionSpec>;

  constructor(raw: unknown, origin = 'catalog') {
    const parsed = catalogSchema.safeParse(raw);
    if (!parsed.success) {
      throw new ConfigError(
        parsed.error.issues.map((i) => `${origin}: ${i.path.map(String).join('.')}: ${i.message}`),
      );
    }
    this.collections = new Map(
      Object.entries(parsed.data.collections).map(([name, collection]) => {
        const fields = new Map(
          Object.entries(collection.fields).map(([field, spec]) => [
            field,
            { ...spec, name: field },
          ]),
        );
        return [
          name,
          { name, fields, indexedFields: [...fields.values()].filter((f) => f.indexed) },
        ];
      }),
    );
  }

  names(): string[] {
    return [...this.collections.keys()];
  }

  /** The collection, or 422 `unknown_collection`. */
  collection(name: string): CollectionSpec {
    const collection = this.collections.get(name);
    if (collection === undefined) throw new UnknownCollectionError(name);
    return collection;
  }

  /** Checks a record against its collection; 422 naming every unknown or ill-typed field. */
  validate(collectionName: string, document: unknown): RecordDocument {
    const collection = this.collection(collectionName);
    if (typeof document !== 'object' || document === null || Array.isArray(document)) {
      throw new InvalidRecordError([]);
    }
    const problems: FieldProblem[] = [];
    for (const [field, value] of Object.entries(document)) {
      const spec = collection.fields.get(field);
      if (spec === undefined) {
        problems.push({ field, problem: 'unknown_field' });
      } else if (value !== null && !typeMatches(spec.type, value)) {
        problems.push({ field, problem: 'wrong_type', expected: spec.type });
      } else if (
        typeof value === 'string' &&
        spec.maxLength !== undefined &&
        value.length > spec.maxLength
      ) {
        problems.push({
          field,
          problem: 'too_long',
          expected: `at most ${String(spec.maxLength)} characters`,
        });
      } else if (typeof value === 'number' && spec.minimum !== undefined && value < spec.minimum) {
        problems.push({
          field,
          problem: 'too_small',
          expected: `at least ${String(spec.minimum)}`,
        });
      }
    }
    if (problems.length > 0) throw new InvalidRecordError(problems);
    return document as RecordDocument;
  }
}
