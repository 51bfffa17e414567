/**
 * The regions `npm start` runs locally: three regions in two jurisdictions, so cross-border
 * behaviour and multi-region placement can be seen on one machine.
 */
export const LOCAL_REGIONS = [
  { id: 'us-east-1', jurisdiction: 'US', preferredPort: 54331 },
  { id: 'us-west-2', jurisdiction: 'US', preferredPort: 54332 },
  { id: 'eu-central-1', jurisdiction: 'EU', preferredPort: 54333 },
] as const;

export const LOCAL_GATEWAY_PORT = 8080;
export const LOCAL_MOTO_PORT = 54350;
/** The development OpenID provider people sign in to the console with. */
export const LOCAL_OIDC_PORT = 8090;
/** The first cell's mTLS peer port; the others follow. */
export const LOCAL_PEER_PORT = 8441;

/** The database of a region inside its own local PostgreSQL server. */
export function localDatabaseName(regionId: string): string {
  return `residency_${regionId.replace(/-/g, '_')}`;
}

/** The KMS key alias each local region's key is created under. */
export function localKmsAlias(regionId: string): string {
  return `alias/residency-gateway-${regionId}`;
}
