import { ValidationPipe, type ValidationError } from '@nestjs/common';
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

/** DTO validation at the edge: unknown properties and wrong shapes are a 400 naming each field. */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
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
