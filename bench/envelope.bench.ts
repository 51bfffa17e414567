import { randomBytes } from 'node:crypto';
import {
  AlgorithmSuiteIdentifier,
  CommitmentPolicy,
  RawAesKeyringNode,
  RawAesWrappingSuiteIdentifier,
  buildClient,
} from '@aws-crypto/client-node';
import {
  ENVELOPE_OVERHEAD_BYTES,
  openEnvelope,
  sealEnvelope,
  type EnvelopeBinding,
} from '../src/envelope/envelope-format.js';
import { KeyCache } from '../src/envelope/key-cache.js';
import { deriveRecordKey } from '../src/envelope/record-key.js';
import { formatRate, measure, printTable } from './bench-runner.js';

/**
 * `npm run bench:envelope`: seal and open rates for 1 KiB records on the gateway's hot path
 * (record key from the in-memory cache, AES-256-GCM, bound to its row), against the AWS
 * Encryption SDK for JavaScript (raw AES keyring, committing unsigned suite) on the same
 * records in the same run. Target: ≥ 20× the SDK's rate, < 64 bytes of overhead per record.
 */
const RECORD_BYTES = 1024;
const TARGET_RATIO = 20;
const TARGET_OVERHEAD = 64;

async function main(): Promise<void> {
  const record = Buffer.from(JSON.stringify({ body: 'x'.repeat(RECORD_BYTES - 11) }));
  const location: EnvelopeBinding = {
    region: 'us-east-1',
    collection: 'direct_message',
    subjectId: 's1.us-east-1.0123456789abcdefghjkmnpqrs',
    recordId: 'msg-000001',
    keyVersion: 1,
    recordVersion: 1,
  };

  // The gateway: per-subject record key served (as a copy) from the key cache, zeroed after use.
  const cache = new KeyCache({ maxEntries: 1000, ttlMs: 600_000 });
  cache.put('subject', deriveRecordKey(randomBytes(32)));
  const gatewaySeal = async (): Promise<Buffer> => {
    const key = await cache.get('subject', () => Promise.reject(new Error('miss')));
    try {
      return sealEnvelope(key, record, location);
    } finally {
      key.fill(0);
    }
  };
  const sealed = await gatewaySeal();
  const gatewayOpen = async (): Promise<Buffer> => {
    const key = await cache.get('subject', () => Promise.reject(new Error('miss')));
    try {
      return openEnvelope(key, sealed, location).plaintext;
    } finally {
      key.fill(0);
    }
  };

  // The AWS Encryption SDK: a data key per message, wrapped by a raw AES-256 keyring.
  const { encrypt, decrypt } = buildClient(CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT);
  const keyring = new RawAesKeyringNode({
    keyName: 'bench-key',
    keyNamespace: 'residency-gateway-bench',
    unencryptedMasterKey: new Uint8Array(randomBytes(32)),
    wrappingSuite: RawAesWrappingSuiteIdentifier.AES256_GCM_IV12_TAG16_NO_PADDING,
  });
  const context = { region: location.region, subject: location.subjectId };
  const sdkOptions = {
    suiteId: AlgorithmSuiteIdentifier.ALG_AES256_GCM_IV12_TAG16_HKDF_SHA512_COMMIT_KEY,
    encryptionContext: context,
  };
  const sdkSealed = (await encrypt(keyring, record, sdkOptions)).result;
  const sdkSeal = async (): Promise<Buffer> => (await encrypt(keyring, record, sdkOptions)).result;
  const sdkOpen = async (): Promise<Buffer> => (await decrypt(keyring, sdkSealed)).plaintext;

  const results = {
    gatewaySeal: await measure('gateway seal', gatewaySeal),
    gatewayOpen: await measure('gateway open', gatewayOpen),
    sdkSeal: await measure('AWS Encryption SDK encrypt', sdkSeal),
    sdkOpen: await measure('AWS Encryption SDK decrypt', sdkOpen),
  };
  const sealRatio = results.gatewaySeal.opsPerSecond / results.sdkSeal.opsPerSecond;
  const openRatio = results.gatewayOpen.opsPerSecond / results.sdkOpen.opsPerSecond;
  const sdkOverhead = sdkSealed.length - record.length;

  process.stdout.write(
    `\nenvelope benchmark: ${String(record.length)}-byte records, node ${process.version}\n\n`,
  );
  printTable([
    ['', 'gateway (envelope v2)', 'AWS Encryption SDK', 'ratio'],
    [
      'seal',
      formatRate(results.gatewaySeal.opsPerSecond),
      formatRate(results.sdkSeal.opsPerSecond),
      `${sealRatio.toFixed(1)}×`,
    ],
    [
      'open',
      formatRate(results.gatewayOpen.opsPerSecond),
      formatRate(results.sdkOpen.opsPerSecond),
      `${openRatio.toFixed(1)}×`,
    ],
    ['overhead', `${String(ENVELOPE_OVERHEAD_BYTES)} bytes`, `${String(sdkOverhead)} bytes`, ''],
  ]);
  const pass =
    sealRatio >= TARGET_RATIO &&
    openRatio >= TARGET_RATIO &&
    ENVELOPE_OVERHEAD_BYTES < TARGET_OVERHEAD;
  process.stdout.write(
    `\ntarget: ≥ ${String(TARGET_RATIO)}× the SDK's rate and < ${String(TARGET_OVERHEAD)} bytes overhead: ${pass ? 'met' : 'NOT met'}\n`,
  );
}

main().catch((error: unknown) => {
  process.stderr.write(
    `${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
