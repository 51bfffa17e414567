import type { RequestOptions, TestResponse } from './test-gateway.js';

/** The same request shape as {@link TestGateway.request}, against any URL. */
export async function sendJson<T>(
  url: string,
  method: string,
  options: RequestOptions,
): Promise<TestResponse<T>> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token !== undefined) headers['authorization'] = `Bearer ${options.token}`;
  const purpose =
    options.purpose === undefined
      ? options.token === undefined
        ? null
        : 'service-delivery'
      : options.purpose;
  if (purpose !== null) headers['x-purpose'] ??= purpose;
  let body: string | undefined = options.rawBody;
  if (body === undefined && options.body !== undefined) body = JSON.stringify(options.body);
  if (body !== undefined) headers['content-type'] ??= 'application/json';
  const response = await fetch(url, { method, headers, ...(body === undefined ? {} : { body }) });
  const text = await response.text();
  let parsed: unknown = text;
  if (/^application\/(?:[\w.-]+\+)?json\b/.test(response.headers.get('content-type') ?? ''))
    parsed = JSON.parse(text);
  return { status: response.status, headers: response.headers, body: parsed as T, text };
}
