import type { PeerCertificate } from 'node:tls';

const PREFIX = 'spiffe://residency-gateway/cell/';

/** The URI a cell's certificate names itself by (a SAN), e.g. `spiffe://residency-gateway/cell/us-east-1`. */
export function cellIdentityUri(region: string): string {
  return `${PREFIX}${region}`;
}

/**
 * The region a peer certificate names in its URI SAN, or undefined when it names none (or
 * more than one: a certificate for two cells is not a cell's certificate).
 */
export function regionOfCertificate(
  certificate: Pick<PeerCertificate, 'subjectaltname'> | undefined,
): string | undefined {
  const names = certificate?.subjectaltname;
  if (typeof names !== 'string') return undefined;
  const regions = names
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name.startsWith(`URI:${PREFIX}`))
    .map((name) => name.slice(`URI:${PREFIX}`.length));
  const [region] = regions;
  return regions.length === 1 && region !== undefined && /^[a-z0-9-]{1,64}$/.test(region)
    ? region
    : undefined;
}
