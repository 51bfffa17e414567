import { UnprocessableError } from '../platform/errors/domain-error.js';

export class InvalidQueryError extends UnprocessableError {
  constructor(code: string, title: string, detail: string, field?: string) {
    super(code, title, detail, field === undefined ? {} : { field });
  }
}
