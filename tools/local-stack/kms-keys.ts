import {
  CreateAliasCommand,
  CreateKeyCommand,
  DescribeKeyCommand,
  KMSClient,
  NotFoundException,
} from '@aws-sdk/client-kms';

/** Credentials moto accepts; real AWS never sees them. */
export const LOCAL_AWS_CREDENTIALS = {
  accessKeyId: 'residency-local',
  secretAccessKey: 'residency-local',
};

/**
 * Makes sure the local KMS has a single-region symmetric key for `region` under `alias`, and
 * returns its ARN (what the gateway is pinned to).
 */
export async function provisionRegionKey(
  endpoint: string,
  region: string,
  alias: string,
): Promise<string> {
  const client = new KMSClient({ region, endpoint, credentials: LOCAL_AWS_CREDENTIALS });
  try {
    const existing = await client.send(new DescribeKeyCommand({ KeyId: alias }));
    if (existing.KeyMetadata?.Arn !== undefined) return existing.KeyMetadata.Arn;
  } catch (error) {
    if (!(error instanceof NotFoundException)) throw error;
  }
  const created = await client.send(
    new CreateKeyCommand({
      Description: `residency-gateway ${region}`,
      KeySpec: 'SYMMETRIC_DEFAULT',
      MultiRegion: false,
    }),
  );
  const arn = created.KeyMetadata?.Arn;
  const keyId = created.KeyMetadata?.KeyId;
  if (arn === undefined || keyId === undefined) throw new Error('the local KMS returned no key');
  await client.send(new CreateAliasCommand({ AliasName: alias, TargetKeyId: keyId }));
  client.destroy();
  return arn;
}
