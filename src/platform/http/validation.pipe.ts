import { ValidationPipe, type ArgumentMetadata, type ValidationError } from '@nestjs/common';
import { InvalidRequestError } from '../errors/domain-error.js';

function flatten(
  errors: readonly ValidationError[],
  prefix = '',
): { field: string; problems: string[] }[] {
  return errors.flatMap((error) => {
    const field = prefix === '' ? error.property : `${prefix}.${error.property}`;
    const own =
      error.constraints === undefined
        ? []
        : [{ field, problems: Object.values(error.constraints) }];
    return [...own, ...flatten(error.children ?? [], field)];
  });
}

/**
 * A query parameter sent twice arrives as an array where every route expects one string: one
 * value, sent once (400), rather than a type the code never meant to handle.
 */
function rejectRepeated(value: unknown, name: string | undefined): void {
  if (name !== undefined) {
    if (Array.isArray(value)) throw new InvalidRequestError(`Send the ${name} parameter once.`);
    return;
  }
  if (value === null || typeof value !== 'object') return;
  const repeated = Object.entries(value).filter(([, v]) => Array.isArray(v));
  if (repeated.length > 0) {
    throw new InvalidRequestError(
      `Send each query parameter once (repeated: ${repeated.map(([k]) => k).join(', ')}).`,
    );
  }
}

/**
 * No request body member is nullable: an optional member is omitted, never null (class-validator's
 * IsOptional would let a null through to code that expects the declared type).
 */
function rejectNullMembers(value: unknown): void {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return;
  const nulls = Object.entries(value).filter(([, v]) => v === null);
  if (nulls.length > 0) {
    throw new InvalidRequestError('The request body does not match the schema.', {
      errors: nulls.map(([field]) => ({
        field,
        problems: [`${field} must not be null (omit it instead)`],
      })),
    });
  }
}

class GatewayValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type === 'query') rejectRepeated(value, metadata.data);
    if (metadata.type === 'body') rejectNullMembers(value);
    return (await super.transform(value, metadata)) as unknown;
  }
}

/** DTO validation at the edge: unknown properties and wrong shapes are a 400 naming each field. */
export function createValidationPipe(): ValidationPipe {
  return new GatewayValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    validationError: { target: false, value: false },
    exceptionFactory: (errors) =>
      new InvalidRequestError('The request body does not match the schema.', {
        errors: flatten(errors),
      }),
  });
}
