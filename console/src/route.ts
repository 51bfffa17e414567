/**
 * Every view's state lives in the URL's fragment (`#/decisions?region=…&subject=…`), so a
 * reviewer can send a link and the back button works. The fragment never reaches a server.
 */
export interface Route {
  readonly path: readonly string[];
  readonly query: Readonly<Record<string, string>>;
}

export function parseRoute(hash: string): Route {
  const value = hash.replace(/^#\/?/, '');
  const [pathPart = '', queryPart = ''] = value.split('?', 2);
  const path = pathPart
    .split('/')
    .filter((p) => p !== '')
    .map(decodeURIComponent);
  return { path, query: Object.fromEntries(new URLSearchParams(queryPart)) };
}

export function href(
  path: readonly string[],
  query: Record<string, string | undefined> = {},
): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (value !== undefined && value !== '') params.set(name, value);
  }
  const text = params.toString();
  return `#/${path.map(encodeURIComponent).join('/')}${text === '' ? '' : `?${text}`}`;
}

export function navigate(
  path: readonly string[],
  query: Record<string, string | undefined> = {},
): void {
  location.hash = href(path, query);
}
