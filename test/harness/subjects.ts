import assert from 'node:assert/strict';
import type { TestGateway } from './test-gateway.js';

export interface CreatedSubject {
  readonly subjectId: string;
  readonly homeRegion: string;
  readonly jurisdiction: string;
}

/** Creates a subject through the API (a small factory for tests). */
export async function createSubject(
  gateway: TestGateway,
  token: string,
  country: string,
): Promise<CreatedSubject> {
  const response = await gateway.request<CreatedSubject>('POST', '/v1/subjects', {
    token,
    body: { country },
  });
  assert.equal(response.status, 201, response.text);
  return response.body;
}

export function recordPath(subjectId: string, collection: string, recordId?: string): string {
  return `/v1/subjects/${subjectId}/records/${collection}${recordId === undefined ? '' : `/${recordId}`}`;
}
