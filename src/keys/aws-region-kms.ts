import {
  DecryptCommand,
  EncryptCommand,
  GenerateDataKeyCommand,
  KMSClient,
  ReEncryptCommand,
} from '@aws-sdk/client-kms';
import type { GatewayConfig, RegionConfig } from '../platform/config/gateway-config.js';
import type { GatewayMetrics } from '../platform/metrics/gateway-metrics.js';
import {
  BreakerOpenError,
  meteredBreaker,
  type CircuitBreaker,
} from '../platform/resilience/circuit-breaker.js';
import { Bulkhead, BulkheadFullError } from '../platform/resilience/bulkhead.js';
import { DeadlineExceededError, withDeadline } from '../platform/resilience/deadline.js';
import {
  ForeignKmsKeyError,
  KmsOverloadedError,
  KmsUnavailableError,
  WrappedKeyIntegrityError,
} from './kms.errors.js';
import type { DataKey, KmsContext, RegionKms } from './region-kms.js';

const KEY_FIELDS = ['KeyId', 'DestinationKeyId', 'SourceKeyId'] as const;
const ALLOWED_COMMANDS = new Set([
  'GenerateDataKeyCommand',
  'DecryptCommand',
  'EncryptCommand',
  'ReEncryptCommand',
]);

/** KMS errors that mean "the ciphertext (a wrapped key) is not what it should be". */
const INTEGRITY_ERRORS = new Set(['InvalidCiphertextException', 'IncorrectKeyException']);

/**
 * Pins a KMS client to one key: every command is checked before it is sent, and one that
 * names any other key (or is not a data-key operation) is refused in the process.
 */
export function pinClientToKey(client: KMSClient, region: string, keyId: string): void {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const command = String(context.commandName);
      if (!ALLOWED_COMMANDS.has(command)) throw new ForeignKmsKeyError(region, command);
      const input = args.input as Record<string, unknown>;
      for (const field of KEY_FIELDS) {
        if (input[field] !== undefined && input[field] !== keyId)
          throw new ForeignKmsKeyError(region, field);
      }
      // Every key a command can use must be named (and so checked): KMS would otherwise pick
      // the key from the ciphertext, which may be another region's.
      const required =
        command === 'ReEncryptCommand' ? ['SourceKeyId', 'DestinationKeyId'] : ['KeyId'];
      for (const field of required) {
        if (input[field] === undefined) throw new ForeignKmsKeyError(region, field);
      }
      return next(args);
    },
    { step: 'initialize', name: 'residencyKeyPin', priority: 'high' },
  );
}

/** A region's KMS through the real AWS SDK (AWS KMS in production, moto locally). */
export class AwsRegionKms implements RegionKms {
  readonly region: string;
  readonly keyId: string;
  /** The pinned client: exposed so tests can prove a foreign key id never leaves the process. */
  readonly client: KMSClient;
  private lastOutcome: 'ok' | 'failing' | 'untested' = 'untested';
  private readonly timeoutMs: number;
  private readonly breaker: CircuitBreaker;
  /** Bounds the calls in flight, so a slow KMS holds a bounded number of requests. */
  private readonly bulkhead: Bulkhead;

  constructor(
    config: RegionConfig,
    keys: Pick<GatewayConfig['keys'], 'kmsTimeoutMs' | 'staticCredentials'> &
      Partial<Pick<GatewayConfig['keys'], 'kmsMaxInFlight'>>,
    private readonly metrics: GatewayMetrics,
    breakers: GatewayConfig['breakers'] = { failureThreshold: 5, openMs: 2000 },
  ) {
    this.region = config.id;
    this.keyId = config.kmsKeyId;
    this.timeoutMs = keys.kmsTimeoutMs;
    this.client = new KMSClient({
      region: config.id,
      ...(config.kmsEndpoint === undefined ? {} : { endpoint: config.kmsEndpoint }),
      ...(keys.staticCredentials === undefined ? {} : { credentials: keys.staticCredentials }),
      // A retry happens only within the call's one deadline (below).
      maxAttempts: 2,
      requestHandler: {
        connectionTimeout: Math.min(this.timeoutMs, 1000),
        requestTimeout: this.timeoutMs,
      },
    });
    pinClientToKey(this.client, this.region, this.keyId);
    this.breaker = meteredBreaker('kms', this.region, breakers, metrics);
    this.bulkhead = new Bulkhead(`kms:${this.region}`, keys.kmsMaxInFlight ?? 128);
  }

  async generateDataKey(context: KmsContext): Promise<DataKey> {
    const output = await this.call('GenerateDataKey', (abortSignal) =>
      this.client.send(
        new GenerateDataKeyCommand({
          KeyId: this.keyId,
          KeySpec: 'AES_256',
          EncryptionContext: { ...context },
        }),
        { abortSignal },
      ),
    );
    if (output.Plaintext === undefined || output.CiphertextBlob === undefined) {
      throw new KmsUnavailableError(this.region);
    }
    return {
      plaintext: takePlaintext(output.Plaintext),
      wrapped: Buffer.from(output.CiphertextBlob),
    };
  }

  async decrypt(wrapped: Buffer, context: KmsContext): Promise<Buffer> {
    const output = await this.call('Decrypt', (abortSignal) =>
      this.client.send(
        new DecryptCommand({
          KeyId: this.keyId,
          CiphertextBlob: wrapped,
          EncryptionContext: { ...context },
        }),
        { abortSignal },
      ),
    );
    if (output.Plaintext === undefined) throw new KmsUnavailableError(this.region);
    return takePlaintext(output.Plaintext);
  }

  async reEncrypt(wrapped: Buffer, context: KmsContext): Promise<Buffer> {
    try {
      const output = await this.call('ReEncrypt', (abortSignal) =>
        this.client.send(
          new ReEncryptCommand({
            CiphertextBlob: wrapped,
            SourceKeyId: this.keyId,
            SourceEncryptionContext: { ...context },
            DestinationKeyId: this.keyId,
            DestinationEncryptionContext: { ...context },
          }),
          { abortSignal },
        ),
      );
      if (output.CiphertextBlob === undefined) throw new KmsUnavailableError(this.region);
      return Buffer.from(output.CiphertextBlob);
    } catch (error) {
      if (!isUnsupported(error)) throw error;
    }
    // A KMS without ReEncrypt: unwrap and wrap again, keeping the plaintext only briefly.
    const plaintext = await this.decrypt(wrapped, context);
    try {
      const output = await this.call('Encrypt', (abortSignal) =>
        this.client.send(
          new EncryptCommand({
            KeyId: this.keyId,
            Plaintext: plaintext,
            EncryptionContext: { ...context },
          }),
          { abortSignal },
        ),
      );
      if (output.CiphertextBlob === undefined) throw new KmsUnavailableError(this.region);
      return Buffer.from(output.CiphertextBlob);
    } finally {
      plaintext.fill(0);
    }
  }

  status(): 'ok' | 'failing' | 'untested' {
    return this.lastOutcome;
  }

  /** The region KMS's circuit breaker: open while it is down or hung. */
  breakerState(): CircuitBreaker['state'] {
    return this.breaker.state;
  }

  /**
   * One KMS operation under one deadline (retries included) and the region's breaker: a KMS
   * that refuses, fails or hangs costs a caller at most the timeout, and once the breaker is
   * open, nothing — the request fails closed at once with 503 kms_unavailable.
   */
  private async call<T>(operation: string, send: (signal: AbortSignal) => Promise<T>): Promise<T> {
    try {
      const output = await this.bulkhead.run(() =>
        this.breaker.run(
          () => {
            this.metrics.kmsCalls.inc({ region: this.region, operation });
            return withDeadline(`kms:${this.region}`, this.timeoutMs, send);
          },
          (error) => isAvailabilityFailure(error),
        ),
      );
      this.lastOutcome = 'ok';
      return output;
    } catch (error) {
      if (error instanceof BulkheadFullError) {
        this.metrics.kmsErrors.inc({ region: this.region, operation });
        throw new KmsOverloadedError(this.region, error);
      }
      if (error instanceof BreakerOpenError) {
        this.lastOutcome = 'failing';
        throw new KmsUnavailableError(this.region, error);
      }
      this.metrics.kmsErrors.inc({ region: this.region, operation });
      if (error instanceof ForeignKmsKeyError || isUnsupported(error)) throw error;
      if (isIntegrityFailure(error)) throw new WrappedKeyIntegrityError(error);
      this.lastOutcome = 'failing';
      // Unreachable, hung, throttled, disabled or deleted key, access denied: the region cannot
      // be served now. Fail closed.
      throw new KmsUnavailableError(this.region, error);
    }
  }
}

function isIntegrityFailure(error: unknown): boolean {
  return error instanceof Error && INTEGRITY_ERRORS.has(error.name);
}

/** Whether an error says the KMS is unavailable (what the breaker counts). */
function isAvailabilityFailure(error: unknown): boolean {
  if (error instanceof DeadlineExceededError) return true;
  if (error instanceof ForeignKmsKeyError || isUnsupported(error) || isIntegrityFailure(error))
    return false;
  const status = (error as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata
    ?.httpStatusCode;
  // A 4xx other than throttling is an answer about this request, not about the KMS's health.
  if (status !== undefined && status >= 400 && status < 500 && status !== 429) return false;
  return true;
}

/** Copies key material out of an SDK response and zeroes the response's copy. */
function takePlaintext(plaintext: Uint8Array): Buffer {
  const copy = Buffer.from(plaintext);
  plaintext.fill(0);
  return copy;
}

function isUnsupported(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  return (
    error.name === 'UnsupportedOperationException' ||
    error.name === 'NotImplementedException' ||
    status === 501
  );
}
