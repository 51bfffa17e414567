import { applyDecorators } from '@nestjs/common';
import { ApiQuery } from '@nestjs/swagger';
import type { DecisionFilter } from '../audit-log/audit-log.reader.js';
import { InvalidRequestError } from '../platform/errors/domain-error.js';
import { flag, required, time } from '../platform/http/query-params.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function decisionId(value: string | undefined): string {
  const id = required('decisionId', value);
  if (!UUID.test(id)) throw new InvalidRequestError('decisionId must be a decision id (a UUID).');
  return id;
}

/** The search filters of `GET /v1/audit/decisions` (and the console). */
/** Documents the query parameters {@link decisionFilter} reads (search and export alike). */
export function ApiDecisionFilter(): MethodDecorator {
  return applyDecorators(
    ApiQuery({ name: 'to', required: false }),
    ApiQuery({ name: 'service', required: false }),
    ApiQuery({
      name: 'subject',
      required: false,
      description: 'named by, or disclosed to, the access',
    }),
    ApiQuery({ name: 'action', required: false }),
    ApiQuery({ name: 'purpose', required: false }),
    ApiQuery({ name: 'allowed', required: false }),
    ApiQuery({ name: 'breakGlass', required: false }),
    ApiQuery({ name: 'bundleRevision', required: false }),
    ApiQuery({ name: 'callerJurisdiction', required: false }),
  );
}

export function decisionFilter(query: Record<string, string | undefined>): DecisionFilter {
  const from = time('from', query['from']);
  const to = time('to', query['to']);
  const allowed = flag('allowed', query['allowed']);
  const breakGlass = flag('breakGlass', query['breakGlass']);
  const text = (name: string): Record<string, string> => {
    const value = query[name];
    if (value === undefined) return {};
    if (value.length > 200) throw new InvalidRequestError(`${name} is too long.`);
    return { [name]: value };
  };
  return {
    ...(from === undefined ? {} : { from }),
    ...(to === undefined ? {} : { to }),
    ...text('service'),
    ...text('subject'),
    ...text('action'),
    ...text('purpose'),
    ...text('bundleRevision'),
    ...text('callerJurisdiction'),
    ...(allowed === undefined ? {} : { allowed }),
    ...(breakGlass === undefined ? {} : { breakGlass }),
  };
}
