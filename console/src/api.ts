import { ApiProblem } from './problem.js';

/** Calls the gateway's API with the person's access token; errors become {@link ApiProblem}. */
export class Api {
  constructor(
    private readonly token: string,
    private readonly onUnauthenticated: () => void,
  ) {}

  async get<T>(path: string, query: Record<string, string | undefined> = {}): Promise<T> {
    const response = await this.send('GET', withQuery(path, query));
    return (await response.json()) as T;
  }

  /** For routes that answer 202 while not ready (receipts): the status comes back too. */
  async getWithStatus(
    path: string,
    query: Record<string, string | undefined> = {},
  ): Promise<{ status: number; body: unknown }> {
    const response = await this.send('GET', withQuery(path, query));
    return { status: response.status, body: (await response.json()) as unknown };
  }

  async post<T>(path: string, body: unknown): Promise<T> {
    const response = await this.send('POST', path, body);
    return (await response.json()) as T;
  }

  /** A POST answered with JSON lines, each handed to `onLine` as it arrives. */
  async postLines(path: string, body: unknown, onLine: (line: unknown) => void): Promise<void> {
    const response = await this.send('POST', path, body);
    const reader = response.body?.getReader();
    if (reader === undefined) return;
    const decoder = new TextDecoder();
    let buffered = '';
    for (;;) {
      const { done, value } = await reader.read();
      buffered += decoder.decode(value, { stream: !done });
      let end = buffered.indexOf('\n');
      while (end >= 0) {
        const line = buffered.slice(0, end).trim();
        buffered = buffered.slice(end + 1);
        if (line !== '') onLine(JSON.parse(line));
        end = buffered.indexOf('\n');
      }
      if (done) return;
    }
  }

  async blob(path: string, query: Record<string, string | undefined>): Promise<Blob> {
    return (await this.send('GET', withQuery(path, query))).blob();
  }

  private async send(method: string, path: string, body?: unknown): Promise<Response> {
    const response = await fetch(path, {
      method,
      headers: {
        Authorization: `Bearer ${this.token}`,
        ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    if (response.ok) return response;
    const problem = await ApiProblem.from(response);
    if (response.status === 401) this.onUnauthenticated();
    throw problem;
  }
}

export function withQuery(path: string, query: Record<string, string | undefined>): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (value !== undefined && value !== '') params.set(name, value);
  }
  const text = params.toString();
  return text === '' ? path : `${path}?${text}`;
}
